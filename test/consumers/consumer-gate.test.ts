import { afterAll, describe, expect, it } from 'vitest';
import type { PolicyConsumers } from '../../src/config/rotor-config.js';
import type { PollAnswer } from '../../src/consumers/confirmation-poll.js';
import { consumerVerdict, recheckEveryMs } from '../../src/consumers/consumer-gate.js';
import { Secret } from '../../src/domain/secret.js';
import { RedisConsumerStates } from '../../src/state/redis-consumer-states.js';
import { memoryLogger } from '../support/memory-log.js';
import { testRedis } from '../support/redis.js';

const { redis, prefix, cleanup } = testRedis();
afterAll(cleanup);
const store = new RedisConsumerStates(redis, prefix);

const CURRENT = '0b7c4d2e-1111-4000-8000-00000000000c';
const PREVIOUS = '0b7c4d2e-1111-4000-8000-00000000000b';
const NOW = Date.parse('2026-12-04T03:00:00Z');
const POLL_EVERY_MS = 10_000;
const BILLING_URL = 'http://billing.test/rotor/version';

const pollAndAck: PolicyConsumers = {
  list: [
    {
      name: 'billing-api',
      confirm: {
        kind: 'poll',
        url: BILLING_URL,
        field: 'versionId',
        everyMs: POLL_EVERY_MS,
        timeoutMs: 1_000,
      },
    },
    { name: 'batch', confirm: { kind: 'ack', token: Secret.of('batch-ack-token-0123456789abcdef') } },
    {
      name: 'notifier',
      reload: {
        url: 'http://notifier.test/reload',
        secret: Secret.of('whsec_c2VjcmV0'),
        timeoutMs: 1_000,
        attempts: 1,
      },
    },
  ],
  maxGraceMs: 3_600_000,
  onUnconfirmed: 'hold',
};
const ackOnly: PolicyConsumers = {
  ...pollAndAck,
  list: [pollAndAck.list[1] as PolicyConsumers['list'][number]],
};

let policies = 0;
/** A policy id of its own for each test: its consumer states start empty. */
const newPolicyId = () => `gate-${++policies}`;

/** The consumer gate with a poll answering `answer` for the billing consumer, counting its calls. */
function gate(answer: PollAnswer) {
  const logged = memoryLogger();
  const polls: string[] = [];
  const deps = {
    consumers: store,
    clock: { now: () => NOW },
    log: logged.log,
    poll: async (poll: { url: string }) => {
      polls.push(poll.url);
      return answer;
    },
  };
  const verdict = async (policyId: string, consumers: PolicyConsumers, deadlineMs = NOW + 3_600_000) =>
    consumerVerdict(deps, {
      policyId,
      consumers,
      currentVersionId: CURRENT,
      deadlineMs,
      states: await store.read(policyId),
    });
  return { verdict, polls, logged };
}

describe('the consumer gate of a revoke', () => {
  it('is confirmed when every consumer with a confirmation uses the current version', async () => {
    const policyId = newPolicyId();
    await store.confirm(policyId, 'batch', { versionId: CURRENT, at: NOW - 1_000, via: 'ack' });
    const { verdict } = gate({ versionId: CURRENT });

    expect(await verdict(policyId, pollAndAck)).toEqual({ kind: 'confirmed' });
  });

  it('is confirmed at once for consumers without a confirmation (a reload hook only)', async () => {
    const { verdict, polls } = gate({ versionId: PREVIOUS });
    const reloadOnly = { ...pollAndAck, list: [pollAndAck.list[2] as PolicyConsumers['list'][number]] };

    expect(await verdict(newPolicyId(), reloadOnly)).toEqual({ kind: 'confirmed' });
    expect(polls).toEqual([]);
  });

  it('waits, naming the consumers behind, and looks again after the shortest poll interval', async () => {
    const { verdict } = gate({ versionId: PREVIOUS });

    expect(await verdict(newPolicyId(), pollAndAck)).toEqual({
      kind: 'waiting',
      unconfirmed: ['billing-api', 'batch'],
      untilMs: NOW + POLL_EVERY_MS,
    });
  });

  it('looks again a minute later when only ack consumers are behind, and never past the deadline', async () => {
    const { verdict } = gate({ versionId: PREVIOUS });

    expect(recheckEveryMs(ackOnly)).toBe(60_000);
    expect(await verdict(newPolicyId(), ackOnly)).toEqual({
      kind: 'waiting',
      unconfirmed: ['batch'],
      untilMs: NOW + 60_000,
    });
    expect(await verdict(newPolicyId(), pollAndAck, NOW + 3_000)).toEqual({
      kind: 'waiting',
      unconfirmed: ['billing-api', 'batch'],
      untilMs: NOW + 3_000,
    });
  });

  it('is overdue once the deadline has passed with consumers still behind', async () => {
    const policyId = newPolicyId();
    await store.confirm(policyId, 'batch', { versionId: CURRENT, at: NOW - 1_000, via: 'ack' });
    const { verdict } = gate({ versionId: PREVIOUS });

    expect(await verdict(policyId, pollAndAck, NOW)).toEqual({
      kind: 'overdue',
      unconfirmed: ['billing-api'],
    });
  });

  it('does not poll a consumer whose stored confirmation already names the current version', async () => {
    const policyId = newPolicyId();
    await store.confirm(policyId, 'billing-api', { versionId: CURRENT, at: NOW - 5_000, via: 'poll' });
    await store.confirm(policyId, 'batch', { versionId: CURRENT, at: NOW - 1_000, via: 'ack' });
    const { verdict, polls } = gate({ versionId: PREVIOUS });

    expect(await verdict(policyId, pollAndAck)).toEqual({ kind: 'confirmed' });
    expect(polls).toEqual([]);
  });

  it('stores what a poll answered, whichever version it names, so status shows who is behind', async () => {
    const behind = newPolicyId();
    await gate({ versionId: PREVIOUS }).verdict(behind, pollAndAck);
    const switched = newPolicyId();
    const { verdict, polls } = gate({ versionId: CURRENT });
    await verdict(switched, pollAndAck);

    expect(polls).toEqual([BILLING_URL]);
    expect((await store.read(behind)).confirmations.get('billing-api')).toEqual({
      versionId: PREVIOUS,
      at: NOW,
      via: 'poll',
    });
    expect((await store.read(switched)).confirmations.get('billing-api')).toEqual({
      versionId: CURRENT,
      at: NOW,
      via: 'poll',
    });
  });

  it('counts a poll without a usable answer as unconfirmed, stores nothing and logs the problem', async () => {
    const policyId = newPolicyId();
    const { verdict, logged } = gate({ problem: 'answered HTTP 503' });

    expect(await verdict(policyId, pollAndAck)).toMatchObject({
      kind: 'waiting',
      unconfirmed: ['billing-api', 'batch'],
    });
    expect((await store.read(policyId)).confirmations.size).toBe(0);
    expect(logged.text()).toContain('answered HTTP 503');
  });
});
