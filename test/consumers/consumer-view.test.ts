import { describe, expect, it } from 'vitest';
import type { PolicyConsumers } from '../../src/config/rotor-config.js';
import { type ConsumerStates, emptyConsumerStates } from '../../src/consumers/consumer-state.js';
import { consumersView } from '../../src/consumers/consumer-view.js';
import { Secret } from '../../src/domain/secret.js';

const CURRENT = '8f1d2c3b-0000-4000-8000-00000000000c';
const PREVIOUS = '8f1d2c3b-0000-4000-8000-00000000000b';
const reload = {
  url: 'http://consumer/reload',
  secret: Secret.of('whsec_c2VjcmV0'),
  timeoutMs: 5_000,
  attempts: 8,
};

const consumers: PolicyConsumers = {
  list: [
    {
      name: 'billing-api',
      reload,
      confirm: {
        kind: 'poll',
        url: 'http://billing/version',
        field: 'versionId',
        everyMs: 30_000,
        timeoutMs: 5_000,
      },
    },
    { name: 'batch', confirm: { kind: 'ack', token: Secret.of('batch-ack-token-0123456789abcdef') } },
    { name: 'notifier', reload },
  ],
  maxGraceMs: 7 * 24 * 3_600_000,
  onUnconfirmed: 'hold',
};

function states(parts: Partial<ConsumerStates>): ConsumerStates {
  return { ...emptyConsumerStates, ...parts };
}

describe('the consumers view of a policy', () => {
  it('is absent for a policy without consumers', () => {
    expect(consumersView(undefined, CURRENT, emptyConsumerStates)).toBeUndefined();
    expect(consumersView({ ...consumers, list: [] }, CURRENT, emptyConsumerStates)).toBeUndefined();
  });

  it('shows every consumer as unconfirmed and pending before anything is known of them', () => {
    expect(consumersView(consumers, CURRENT, emptyConsumerStates)).toEqual({
      list: [
        { name: 'billing-api', confirmation: 'poll', confirmed: false, reload: { state: 'pending' } },
        { name: 'batch', confirmation: 'ack', confirmed: false, reload: null },
        { name: 'notifier', confirmation: 'none', confirmed: null, reload: { state: 'pending' } },
      ],
      unconfirmed: 2,
      held: [],
    });
  });

  it('counts a consumer confirmed when its confirmation names the current version, and behind when it names an older one', () => {
    const view = consumersView(
      consumers,
      CURRENT,
      states({
        confirmations: new Map([
          ['billing-api', { versionId: CURRENT, at: 2_000, via: 'poll' }],
          ['batch', { versionId: PREVIOUS, at: 1_000, via: 'ack' }],
        ]),
      }),
    );

    expect(view?.list.slice(0, 2)).toEqual([
      {
        name: 'billing-api',
        confirmation: 'poll',
        confirmed: true,
        confirmedVersionId: CURRENT,
        confirmedAt: 2_000,
        reload: { state: 'pending' },
      },
      {
        name: 'batch',
        confirmation: 'ack',
        confirmed: false,
        confirmedVersionId: PREVIOUS,
        confirmedAt: 1_000,
        reload: null,
      },
    ]);
    expect(view?.unconfirmed).toBe(1);
  });

  it('counts no consumer as confirmed while the policy has no current version', () => {
    const view = consumersView(
      consumers,
      undefined,
      states({ confirmations: new Map([['billing-api', { versionId: PREVIOUS, at: 1_000, via: 'poll' }]]) }),
    );

    expect(view?.list.map((consumer) => consumer.confirmed)).toEqual([false, false, null]);
    expect(view?.unconfirmed).toBe(2);
  });

  it("shows the reload hook's outcome for the current version, and an older version's outcome as pending", () => {
    const view = consumersView(
      consumers,
      CURRENT,
      states({
        reloads: new Map([
          [
            'billing-api',
            { versionId: CURRENT, at: 3_000, outcome: 'failed', error: 'reload hook answered HTTP 503' },
          ],
          ['notifier', { versionId: PREVIOUS, at: 1_000, outcome: 'reloading' }],
        ]),
      }),
    );

    expect(view?.list.map((consumer) => consumer.reload)).toEqual([
      { state: 'failed', versionId: CURRENT, at: 3_000, error: 'reload hook answered HTTP 503' },
      null,
      { state: 'pending' },
    ]);
    const reloading = consumersView(
      consumers,
      CURRENT,
      states({ reloads: new Map([['notifier', { versionId: CURRENT, at: 4_000, outcome: 'reloading' }]]) }),
    );
    expect(reloading?.list[2]?.reload).toEqual({ state: 'reloading', versionId: CURRENT, at: 4_000 });
  });

  it('lists the held versions without their handles, and the due time of the scheduled run that waits for them', () => {
    const view = consumersView(
      consumers,
      CURRENT,
      states({
        held: [{ versionId: PREVIOUS, handle: 'cf-token-handle', since: 5_000, unconfirmed: ['batch'] }],
        runWaitingDueMs: 9_000,
      }),
    );

    expect(view?.held).toEqual([{ versionId: PREVIOUS, since: 5_000, unconfirmed: ['batch'] }]);
    expect(view?.runWaiting).toBe(9_000);
  });
});
