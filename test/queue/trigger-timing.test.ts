import { describe, expect, it } from 'vitest';
import { scheduledRunId } from '../../src/domain/ids.js';
import { jitterOffsetMs } from '../../src/domain/jitter-offset.js';
import { scheduledPriority, startLatenessMs, triggerJobOptions } from '../../src/queue/trigger-timing.js';

const TEN_MINUTES = 600_000;

describe('jitter offsets', () => {
  it('starts a policy without jitter at its due time, with its trigger first among triggers', () => {
    expect(jitterOffsetMs({ id: 'nightly', jitterMs: 0 })).toBe(0);
    expect(triggerJobOptions({ id: 'nightly', jitterMs: 0 }).priority).toBe(1);
  });

  it('gives a policy the same offset below its jitter on every run', () => {
    const offset = jitterOffsetMs({ id: 'payments-api', jitterMs: TEN_MINUTES });
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThan(TEN_MINUTES);
    expect(jitterOffsetMs({ id: 'payments-api', jitterMs: TEN_MINUTES })).toBe(offset);
  });

  it('spreads policies sharing a schedule evenly over the window', () => {
    const perMinute = new Array<number>(10).fill(0);
    for (let index = 0; index < 1_000; index++) {
      const offset = jitterOffsetMs({ id: `policy-${index}`, jitterMs: TEN_MINUTES });
      perMinute[Math.floor(offset / 60_000)] = (perMinute[Math.floor(offset / 60_000)] ?? 0) + 1;
    }
    for (const count of perMinute) {
      expect(count).toBeGreaterThan(70);
      expect(count).toBeLessThan(130);
    }
  });

  it('numbers a policy’s scheduled work by the tenth of a second its rotation starts in, triggers and rotations alike', () => {
    const policies = Array.from({ length: 50 }, (_, index) => ({ id: `p-${index}`, jitterMs: TEN_MINUTES }));
    for (const policy of policies) {
      expect(scheduledPriority(policy)).toBe(1 + Math.floor(jitterOffsetMs(policy) / 100));
      expect(triggerJobOptions(policy).priority).toBe(scheduledPriority(policy));
    }
  });

  it('keeps jitter beyond 58 hours at BullMQ’s lowest priority', () => {
    const far = Array.from({ length: 20 }, (_, index) => ({
      id: `far-${index}`,
      jitterMs: 4_000 * 3_600_000,
    }));
    expect(Math.max(...far.map(scheduledPriority))).toBe(2 ** 21);
  });
});

describe('start lateness', () => {
  const policy = { id: 'payments-api', jitterMs: TEN_MINUTES };
  const dueMs = 1_764_000_000_000;
  const startsAt = dueMs + jitterOffsetMs(policy);

  it('counts a scheduled run’s lateness from its due time plus the policy’s offset', () => {
    expect(startLatenessMs(policy, scheduledRunId(policy.id, dueMs), startsAt + 1_250)).toBe(1_250);
  });

  it('counts a run that started on time, or early by a replica’s skewed clock, as not late', () => {
    expect(startLatenessMs(policy, scheduledRunId(policy.id, dueMs), startsAt)).toBe(0);
    expect(startLatenessMs(policy, scheduledRunId(policy.id, dueMs), startsAt - 40)).toBe(0);
  });

  it('has no lateness for an on-demand run', () => {
    expect(startLatenessMs(policy, `${policy.id}-m${dueMs}`, startsAt)).toBeUndefined();
  });
});
