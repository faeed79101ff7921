import { afterAll, describe, expect, it } from 'vitest';
import { RedisConsumerStates } from '../../src/state/redis-consumer-states.js';
import { stateKeys } from '../../src/state/redis-keys.js';
import { testRedis } from '../support/redis.js';

const { redis, prefix, cleanup } = testRedis();
afterAll(cleanup);
const store = new RedisConsumerStates(redis, prefix);

const V1 = '5d0c1a2b-3333-4000-8000-000000000001';
const V2 = '5d0c1a2b-3333-4000-8000-000000000002';
const V3 = '5d0c1a2b-3333-4000-8000-000000000003';

let policies = 0;
const newPolicyId = () => `states-${++policies}`;

describe("Redis's record of a policy's consumers", () => {
  it('gives back the confirmations, reload outcomes, holds and waiting run it stored, alone and for many policies', async () => {
    const policyId = newPolicyId();
    const other = newPolicyId();
    await store.confirm(policyId, 'billing-api', { versionId: V2, at: 2_000, via: 'poll' });
    await store.confirm(policyId, 'batch', { versionId: V1, at: 1_000, via: 'ack' });
    await store.confirm(policyId, 'batch', { versionId: V2, at: 3_000, via: 'ack' });
    await store.reloaded(policyId, 'billing-api', {
      versionId: V2,
      at: 1_500,
      outcome: 'failed',
      error: 'HTTP 502',
    });
    await store.hold(policyId, { versionId: V1, handle: 'key-1', since: 4_000, unconfirmed: ['batch'] });
    await store.holdRun(policyId, 9_000);
    await store.confirm(other, 'batch', { versionId: V3, at: 5_000, via: 'ack' });

    const read = await store.read(policyId);
    expect(read).toEqual({
      confirmations: new Map([
        ['billing-api', { versionId: V2, at: 2_000, via: 'poll' }],
        ['batch', { versionId: V2, at: 3_000, via: 'ack' }],
      ]),
      reloads: new Map([['billing-api', { versionId: V2, at: 1_500, outcome: 'failed', error: 'HTTP 502' }]]),
      held: [{ versionId: V1, handle: 'key-1', since: 4_000, unconfirmed: ['batch'] }],
      runWaitingDueMs: 9_000,
    });
    const many = await store.readMany([policyId, other, 'never-written']);
    expect(many.get(policyId)).toEqual(read);
    expect(many.get(other)?.confirmations).toEqual(
      new Map([['batch', { versionId: V3, at: 5_000, via: 'ack' }]]),
    );
    expect(many.get('never-written')).toEqual({ confirmations: new Map(), reloads: new Map(), held: [] });
  });

  it('leaves out a field that does not parse and keeps the others', async () => {
    const policyId = newPolicyId();
    await store.confirm(policyId, 'billing-api', { versionId: V2, at: 2_000, via: 'poll' });
    await store.hold(policyId, { versionId: V1, handle: 'key-1', since: 4_000, unconfirmed: ['batch'] });
    await redis.hset(stateKeys.consumers(prefix, policyId), {
      'confirm:batch': '{not json',
      'reload:billing-api': JSON.stringify({ versionId: V2, at: 1, outcome: 'exploded' }),
      [`held:${V3}`]: JSON.stringify({ versionId: V3 }),
      'run-waiting': 'soon',
    });

    expect(await store.read(policyId)).toEqual({
      confirmations: new Map([['billing-api', { versionId: V2, at: 2_000, via: 'poll' }]]),
      reloads: new Map(),
      held: [{ versionId: V1, handle: 'key-1', since: 4_000, unconfirmed: ['batch'] }],
    });
  });

  it('lists held versions oldest first', async () => {
    const policyId = newPolicyId();
    await store.hold(policyId, { versionId: V2, handle: 'key-2', since: 8_000, unconfirmed: ['batch'] });
    await store.hold(policyId, { versionId: V1, handle: 'key-1', since: 4_000, unconfirmed: ['batch'] });

    expect((await store.read(policyId)).held.map((held) => held.versionId)).toEqual([V1, V2]);
  });

  it("returns the waiting run's due time once, when the last hold is released", async () => {
    const policyId = newPolicyId();
    await store.hold(policyId, { versionId: V1, handle: 'key-1', since: 4_000, unconfirmed: ['batch'] });
    await store.hold(policyId, { versionId: V2, handle: 'key-2', since: 5_000, unconfirmed: ['batch'] });
    await store.holdRun(policyId, 9_000);

    expect(await store.release(policyId, V1)).toBeUndefined();
    expect((await store.read(policyId)).runWaitingDueMs).toBe(9_000);
    expect(await store.release(policyId, V2)).toBe(9_000);
    expect(await store.release(policyId, V2)).toBeUndefined();
    expect(await store.read(policyId)).toEqual({ confirmations: new Map(), reloads: new Map(), held: [] });
  });

  it('returns nothing on the release of the last hold when no run waited', async () => {
    const policyId = newPolicyId();
    await store.hold(policyId, { versionId: V1, handle: 'key-1', since: 4_000, unconfirmed: ['batch'] });

    expect(await store.release(policyId, V1)).toBeUndefined();
    expect((await store.read(policyId)).held).toEqual([]);
  });

  it('keeps the earliest due time of the scheduled runs that wait, in whatever order they came', async () => {
    const inOrder = newPolicyId();
    await store.holdRun(inOrder, 9_000);
    await store.holdRun(inOrder, 12_000);
    const outOfOrder = newPolicyId();
    await store.holdRun(outOfOrder, 12_000);
    await store.holdRun(outOfOrder, 9_000);

    expect((await store.read(inOrder)).runWaitingDueMs).toBe(9_000);
    expect((await store.read(outOfOrder)).runWaitingDueMs).toBe(9_000);
  });
});
