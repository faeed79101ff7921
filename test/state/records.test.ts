import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunHistoryEntry } from '../../src/domain/policy-record.js';
import { stateKeys } from '../../src/state/redis-keys.js';
import { RedisStateStore } from '../../src/state/redis-state-store.js';
import { RunHistory } from '../../src/state/run-history.js';
import { testRedis } from '../support/redis.js';

const { redis, prefix, url, cleanup } = testRedis();
const lockKeys = { before: `${prefix}:jobs:`, after: ':lock' };
afterAll(cleanup);

describe('policy records', () => {
  const store = new RedisStateStore(redis, prefix, lockKeys);

  it('starts from an empty record', async () => {
    expect(await store.get('fresh')).toEqual({ policyId: 'fresh', revision: 0, consecutiveFailures: 0 });
  });

  it('stores an update and bumps the revision', async () => {
    const updated = await store.update('p1', (record) => ({ ...record, lastAttemptAt: 1000 }));
    expect(updated).toMatchObject({ revision: 1, lastAttemptAt: 1000 });
    expect(await store.get('p1')).toEqual(updated);
  });

  it('lands concurrent updates from two clients without losing one', async () => {
    const other = new Redis(url, { maxRetriesPerRequest: null });
    const otherStore = new RedisStateStore(other, prefix, lockKeys);
    const bump = (s: RedisStateStore) =>
      s.update('counted', (record) => ({ ...record, consecutiveFailures: record.consecutiveFailures + 1 }));
    await Promise.all(Array.from({ length: 10 }, (_, i) => bump(i % 2 ? store : otherStore)));
    other.disconnect();
    expect(await store.get('counted')).toMatchObject({ consecutiveFailures: 10, revision: 10 });
  });

  it('applies a change to the record the caller already holds when it is still the stored one', async () => {
    const first = await store.update('known', (record) => ({ ...record, lastAttemptAt: 1 }));
    const second = await store.update('known', (record) => ({ ...record, lastSuccessAt: 2 }), {
      known: first,
    });
    expect(second).toMatchObject({ revision: 2, lastAttemptAt: 1, lastSuccessAt: 2 });
    expect(await store.get('known')).toEqual(second);
  });

  it('recomputes from the stored record when the one the caller holds is stale, losing no write', async () => {
    const seen = await store.update('stale', (record) => ({ ...record, lastAttemptAt: 1 }));
    await store.update('stale', (record) => ({ ...record, consecutiveFailures: 5 }));
    const updated = await store.update('stale', (record) => ({ ...record, lastSuccessAt: 3 }), {
      known: seen,
    });
    expect(updated).toMatchObject({
      revision: 3,
      lastAttemptAt: 1,
      consecutiveFailures: 5,
      lastSuccessAt: 3,
    });
    expect(await store.get('stale')).toEqual(updated);
  });

  it('reads many records at once: stored ones, empty ones for policies never run, and leaves out a corrupt one', async () => {
    await store.update('many-a', (record) => ({ ...record, lastAttemptAt: 7 }));
    await redis.set(stateKeys.record(prefix, 'many-corrupt'), 'not json');
    const ids = [
      'many-a',
      'many-never',
      'many-corrupt',
      ...Array.from({ length: 1_500 }, (_, i) => `bulk-${i}`),
    ];
    const records = await store.getMany(ids);
    expect(records.get('many-a')).toMatchObject({ lastAttemptAt: 7, revision: 1 });
    expect(records.get('many-never')).toEqual({
      policyId: 'many-never',
      revision: 0,
      consecutiveFailures: 0,
    });
    expect(records.has('many-corrupt')).toBe(false);
    expect(records.size).toBe(ids.length - 1);
  });

  describe('the fence on a run in flight', () => {
    const inFlight = (owner: string) => ({
      runId: 'fenced-1',
      trigger: 'manual' as const,
      issueAttempt: 1,
      step: 'issuing' as const,
      startedAt: 1,
      owner,
    });
    const claim = (owner: string) =>
      store.update('fenced', (record) => ({ ...record, inFlight: inFlight(owner) }), { owner });

    it('refuses another job’s write as busy while the owner holds its job lock, and takes it once the lock is gone', async () => {
      await claim('job-a');
      await redis.set(`${lockKeys.before}job-a${lockKeys.after}`, 'token', 'PX', 60_000);

      await expect(claim('job-b')).rejects.toMatchObject({
        kind: 'busy',
        message: expect.stringContaining('fenced'),
      });
      expect((await store.get('fenced')).inFlight?.owner).toBe('job-a');
      // The owner itself, and writers that name no owner (failure booking, status), are not fenced.
      await expect(
        store.update('fenced', (record) => ({ ...record, lastAttemptAt: 5 }), { owner: 'job-a' }),
      ).resolves.toMatchObject({ lastAttemptAt: 5 });
      await expect(
        store.update('fenced', (record) => ({ ...record, lastAttemptAt: 6 })),
      ).resolves.toMatchObject({ lastAttemptAt: 6 });

      await redis.del(`${lockKeys.before}job-a${lockKeys.after}`);
      expect((await claim('job-b')).inFlight?.owner).toBe('job-b');
    });
  });

  it('reports a corrupt record as a protocol error naming the policy', async () => {
    await redis.set(stateKeys.record(prefix, 'broken'), '{"policyId":"broken","revision":"x"}');
    await expect(store.get('broken')).rejects.toMatchObject({
      kind: 'protocol',
      message: expect.stringContaining('policy broken'),
    });
  });
});

describe('run history', () => {
  const entry = (n: number): RunHistoryEntry => ({
    runId: `p-${n}`,
    trigger: 'schedule',
    startedAt: n,
    finishedAt: n + 5,
    durationMs: 5,
    outcome: 'succeeded',
    steps: ['issue'],
  });

  it('keeps the newest entries up to its cap, newest first', async () => {
    const history = new RunHistory(redis, prefix, 3);
    for (const n of [1, 2, 3, 4, 5]) await history.append('capped', entry(n));
    expect((await history.recent('capped')).map((e) => e.runId)).toEqual(['p-5', 'p-4', 'p-3']);
  });

  it('skips entries it cannot read', async () => {
    const history = new RunHistory(redis, prefix);
    await history.append('mixed', entry(1));
    await redis.lpush(stateKeys.history(prefix, 'mixed'), 'not json', '{"runId":1}');
    expect((await history.recent('mixed')).map((e) => e.runId)).toEqual(['p-1']);
  });
});
