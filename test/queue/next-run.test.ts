import { describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { nextRunOf } from '../../src/queue/policy-status.js';

const HOUR_MS = 3_600_000;
const DUE_MS = Date.parse('2026-12-20T10:00:00Z');
const FREEZE_ENDS_MS = Date.parse('2027-01-04T00:00:00Z');
const freeze = { fromMs: Date.parse('2026-12-18T00:00:00Z'), toMs: FREEZE_ENDS_MS, reason: 'year end' };

/** The parts of a policy its next run depends on. */
const policyWith = (schedule: PolicyConfig['schedule']) =>
  ({
    id: 'p',
    jitterMs: 0,
    paused: false,
    schedule,
    windows: { freezes: [freeze] },
  }) as unknown as PolicyConfig;

describe('the next run status shows', () => {
  it('is the end of the freeze that holds a scheduled run back, with the reason', () => {
    expect(nextRunOf(policyWith({ kind: 'every', everyMs: HOUR_MS }), DUE_MS, undefined, undefined)).toEqual({
      atMs: FREEZE_ENDS_MS,
      deferral: { askedAt: DUE_MS, startsAt: FREEZE_ENDS_MS, kind: 'freeze', freezeReason: 'year end' },
    });
  });

  it('is the due time of a before-expiry run whose credential expires in the freeze: it will override it', () => {
    const policy = policyWith({ kind: 'beforeExpiry', leadMs: HOUR_MS });
    expect(nextRunOf(policy, DUE_MS, undefined, DUE_MS + HOUR_MS)).toEqual({ atMs: DUE_MS });
    expect(nextRunOf(policy, DUE_MS, undefined, FREEZE_ENDS_MS + HOUR_MS)).toMatchObject({
      atMs: FREEZE_ENDS_MS,
    });
  });

  it('is the start of the run already waiting for the windows, whatever the next trigger', () => {
    const deferral = { askedAt: DUE_MS, startsAt: FREEZE_ENDS_MS, kind: 'freeze' as const };
    expect(
      nextRunOf(
        policyWith({ kind: 'every', everyMs: HOUR_MS }),
        DUE_MS + HOUR_MS,
        { state: 'waiting', deferral },
        undefined,
      ),
    ).toEqual({ atMs: FREEZE_ENDS_MS, deferral });
  });
});
