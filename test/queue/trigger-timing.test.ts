import { describe, expect, it } from 'vitest';
import { jitterOffsetMs } from '../../src/domain/jitter-offset.js';
import { triggerJobOptions } from '../../src/queue/trigger-timing.js';

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

  it('orders triggers by the second their rotation starts in', () => {
    const policies = Array.from({ length: 50 }, (_, index) => ({ id: `p-${index}`, jitterMs: TEN_MINUTES }));
    for (const policy of policies) {
      expect(triggerJobOptions(policy).priority).toBe(1 + Math.floor(jitterOffsetMs(policy) / 1000));
    }
  });
});
