import { afterAll, describe, expect, it, vi } from 'vitest';
import type { PolicyConfig, PolicyConsumers } from '../../src/config/rotor-config.js';
import { heldRefusal } from '../../src/consumers/held-refusal.js';
import { Secret } from '../../src/domain/secret.js';
import { RedisConsumerStates } from '../../src/state/redis-consumer-states.js';
import { testRedis } from '../support/redis.js';

const { redis, prefix, cleanup } = testRedis();
afterAll(cleanup);
const store = new RedisConsumerStates(redis, prefix);

const V1 = '5d0c1a2b-3333-4000-8000-000000000001';
const V2 = '5d0c1a2b-3333-4000-8000-000000000002';

const confirming: PolicyConsumers = {
  list: [{ name: 'batch', confirm: { kind: 'ack', token: Secret.of('a'.repeat(32)) } }],
  maxGraceMs: 60_000,
  onUnconfirmed: 'hold',
};
const reloadOnly: PolicyConsumers = {
  list: [
    {
      name: 'cache',
      reload: { url: 'http://cache/reload', secret: Secret.of('whsec_x'), timeoutMs: 1_000, attempts: 1 },
    },
  ],
  maxGraceMs: 60_000,
  onUnconfirmed: 'hold',
};
const policyWith = (id: string, consumers: PolicyConsumers | undefined) =>
  ({ id, secret: { id: `prod/${id}`, adopt: false }, ...(consumers ? { consumers } : {}) }) as PolicyConfig;

describe('an on-demand rotation that is not forced', () => {
  it('may start while nothing of its policy is held', async () => {
    expect(await heldRefusal(store, policyWith('free', confirming))).toBeUndefined();
  });

  it('is refused while a displaced credential is held, naming the versions, the secret and who is behind', async () => {
    const policy = policyWith('held', confirming);
    await store.hold(policy.id, { versionId: V1, handle: 'k1', since: 1, unconfirmed: ['batch'] });
    await store.hold(policy.id, { versionId: V2, handle: 'k2', since: 2, unconfirmed: ['batch', 'etl'] });

    const refusal = await heldRefusal(store, policy);

    expect(refusal).toBe(
      `policy held: version ${V1}, ${V2} of secret prod/held is held for consumers that have not confirmed its successor (batch, etl); a rotation now would displace another credential. Force it to rotate anyway`,
    );
  });

  it('is never refused for a policy without a confirming consumer (nothing is read)', async () => {
    const read = vi.spyOn(store, 'read');
    expect(await heldRefusal(store, policyWith('told-only', reloadOnly))).toBeUndefined();
    expect(await heldRefusal(store, policyWith('none', undefined))).toBeUndefined();
    expect(read).not.toHaveBeenCalled();
  });
});
