import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunHistoryEntry } from '../../src/domain/policy-record.js';
import { Secret } from '../../src/domain/secret.js';
import { Journal } from '../../src/state/journal.js';
import { stateKeys } from '../../src/state/redis-keys.js';
import { RedisStateStore } from '../../src/state/redis-state-store.js';
import { RunHistory } from '../../src/state/run-history.js';
import { testRedis } from '../support/redis.js';

const { redis, prefix, url, cleanup } = testRedis();
const lockKeys = { before: `${prefix}:jobs:`, after: ':lock' };
const journalKeys = new Map([['k1', Secret.of(randomBytes(32))]]);
const storeOn = (client: Redis, historyCap?: number) =>
  new RedisStateStore(client, prefix, {
    ownerLock: lockKeys,
    journal: new Journal(client, { prefix, keys: journalKeys, activeKeyId: 'k1' }),
    ...(historyCap === undefined ? {} : { historyCap }),
  });
afterAll(cleanup);

describe('policy records', () => {
  const store = storeOn(redis);

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
    const otherStore = storeOn(other);
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

    it('writes a job’s checkpoint that names its lock token only while its own job lock holds that token', async () => {
      const ownLock = `${lockKeys.before}job-c${lockKeys.after}`;
      await redis.set(ownLock, 'token-c', 'PX', 60_000);
      const start = () =>
        store.update('locked', (record) => ({ ...record, inFlight: inFlight('job-c') }), {
          owner: 'job-c',
          lockToken: 'token-c',
        });
      expect((await start()).inFlight?.owner).toBe('job-c');

      await redis.set(ownLock, 'token-of-another-worker', 'PX', 60_000);
      const before = await store.get('locked');
      await expect(start()).rejects.toMatchObject({
        kind: 'transient',
        message: expect.stringContaining('no longer holds its job lock'),
      });
      await redis.del(ownLock);
      await expect(start()).rejects.toMatchObject({ kind: 'transient' });
      expect(await store.get('locked')).toEqual(before);
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

  it('keeps the newest entries, appended by the record writes that carry them, up to its cap, newest first', async () => {
    const capped = storeOn(redis, 3);
    for (const n of [1, 2, 3, 4, 5]) {
      await capped.update('capped', (record) => ({ ...record, lastAttemptAt: n }), { history: entry(n) });
    }
    expect((await new RunHistory(redis, prefix, 3).recent('capped')).map((e) => e.runId)).toEqual([
      'p-5',
      'p-4',
      'p-3',
    ]);
  });

  it('appends nothing when the record write carrying the entry is refused', async () => {
    const store = storeOn(redis);
    const claimed = {
      runId: 'refused-1',
      trigger: 'manual' as const,
      issueAttempt: 1,
      step: 'issuing' as const,
      startedAt: 1,
      owner: 'job-x',
    };
    await store.update('refused', (record) => ({ ...record, inFlight: claimed }), { owner: 'job-x' });
    await redis.set(`${lockKeys.before}job-x${lockKeys.after}`, 'token', 'PX', 60_000);
    await expect(
      store.update('refused', (record) => record, { owner: 'job-y', history: entry(1) }),
    ).rejects.toMatchObject({ kind: 'busy' });
    expect(await new RunHistory(redis, prefix).recent('refused')).toEqual([]);
  });

  it('skips entries it cannot read', async () => {
    await storeOn(redis).update('mixed', (record) => record, { history: entry(1) });
    await redis.lpush(stateKeys.history(prefix, 'mixed'), 'not json', '{"runId":1}');
    expect((await new RunHistory(redis, prefix).recent('mixed')).map((e) => e.runId)).toEqual(['p-1']);
  });
});
