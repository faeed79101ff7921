import { describe, expect, it } from 'vitest';
import { RotationError } from '../../src/domain/errors.js';
import { backoffDelay, isFinalFailure, outcomeFor, throttleBackoff } from '../../src/queue/failure-policy.js';

const now = 1_764_000_000_000;

describe('outcomeFor', () => {
  it('delays a rate-limited failure by its Retry-After', () => {
    const error = new RotationError('rate-limited', 'slow down', { retryAfterMs: 30_000 });
    expect(outcomeFor(error, now)).toEqual({ kind: 'delay', untilMs: now + 30_000 });
  });

  it('delays a rate-limited failure without Retry-After by the throttle backoff, spending no attempt', () => {
    expect(outcomeFor(new RotationError('rate-limited', 'slow down'), now, 12_000)).toEqual({
      kind: 'delay',
      untilMs: now + 12_000,
    });
  });

  it('retries a transient failure', () => {
    expect(outcomeFor(new RotationError('transient', 'ECONNRESET'), now)).toEqual({ kind: 'retry' });
  });

  it.each(['auth', 'invalid-config', 'protocol', 'not-found'] as const)(
    'stops at once on %s, keeping the message',
    (kind) => {
      const error = new RotationError(kind, 'policy ci, step issue: cloudflare rotate failed with HTTP 401');
      expect(outcomeFor(error, now)).toEqual({ kind: 'stop', reason: error.message });
    },
  );
});

describe('isFinalFailure', () => {
  it('is final for a permanent failure on the first attempt', () => {
    expect(isFinalFailure(new RotationError('auth', 'x'), 0, 8, now)).toBe(true);
  });

  it('is final for a transient failure only on the last attempt', () => {
    const error = new RotationError('transient', 'x');
    expect(isFinalFailure(error, 6, 8, now)).toBe(false);
    expect(isFinalFailure(error, 7, 8, now)).toBe(true);
  });

  it('is never final for throttling, even without Retry-After on the last attempt', () => {
    expect(isFinalFailure(new RotationError('rate-limited', 'x'), 7, 8, now)).toBe(false);
  });

  it('is never final for a rate-limited delay', () => {
    expect(isFinalFailure(new RotationError('rate-limited', 'x', { retryAfterMs: 1000 }), 7, 8, now)).toBe(
      false,
    );
  });
});

describe('backoffDelay', () => {
  const settings = { backoffMs: 5_000, maxBackoffMs: 600_000 };

  it.each([
    [1, 2_500, 5_000],
    [2, 5_000, 10_000],
    [3, 10_000, 20_000],
    [20, 300_000, 600_000],
  ])('after attempt %i waits between %i and %i ms', (attempts, low, high) => {
    expect(backoffDelay(attempts, settings, () => 0)).toBe(low);
    expect(backoffDelay(attempts, settings, () => 1)).toBe(high);
  });

  it('spreads retries with jitter', () => {
    const values = new Set([0.1, 0.5, 0.9].map((r) => backoffDelay(3, settings, () => r)));
    expect(values.size).toBe(3);
  });
});

describe('throttleBackoff', () => {
  const settings = { backoffMs: 5_000, maxBackoffMs: 600_000 };

  it('grows with the throttles met in a row, which BullMQ counts as started but not made', () => {
    const first = throttleBackoff({ attemptsStarted: 1, attemptsMade: 0 }, settings);
    const third = throttleBackoff({ attemptsStarted: 5, attemptsMade: 2 }, settings);
    expect(first).toBeGreaterThanOrEqual(2_500);
    expect(first).toBeLessThanOrEqual(5_000);
    expect(third).toBeGreaterThanOrEqual(10_000);
    expect(third).toBeLessThanOrEqual(20_000);
  });

  it('stays within the policy maximum however long the throttling lasts', () => {
    expect(throttleBackoff({ attemptsStarted: 500, attemptsMade: 0 }, settings)).toBeLessThanOrEqual(600_000);
  });
});
