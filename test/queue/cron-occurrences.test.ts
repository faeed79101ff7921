import { defaultRepeatStrategy, type RepeatOptions } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { CronOccurrences } from '../../src/queue/cron-occurrences.js';

const HOUR_MS = 3_600_000;
const YEAR_START = Date.parse('2026-01-01T00:00:00Z');

/** Deterministic pseudo-random times over a year (mulberry32), so a failure names a reproducible input. */
function timesOverAYear(count: number, seed: number): number[] {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return Array.from({ length: count }, () => YEAR_START + Math.floor(next() * 365 * 24 * HOUR_MS));
}

function counting() {
  const calls = { count: 0 };
  const compute = (millis: number, opts: RepeatOptions) => {
    calls.count++;
    return defaultRepeatStrategy(millis, opts);
  };
  return { calls, compute };
}

describe('next cron occurrences', () => {
  it('answers exactly as BullMQ’s default strategy, across time zones and daylight-saving changes', () => {
    const schedules: RepeatOptions[] = [
      { pattern: '0 3 * * *', tz: 'Europe/Oslo' },
      { pattern: '30 2 * * *', tz: 'America/New_York' },
      { pattern: '*/15 * * * *' },
      { pattern: '0 0 1 * *', tz: 'Australia/Sydney' },
      { pattern: '15 4 * * 1-5', tz: 'UTC' },
    ];
    const occurrences = new CronOccurrences();
    // Each time with neighbours a millisecond and seven minutes on, most of which fall in a remembered gap.
    const times = timesOverAYear(300, 7).flatMap((millis) => [millis, millis + 1, millis + 420_000]);
    // Ascending (as one scheduler's firings arrive) and in the given order (as many schedulers' do).
    for (const order of [[...times].sort((a, b) => a - b), times]) {
      for (const millis of order) {
        for (const opts of schedules) {
          expect(occurrences.next(millis, opts), `${opts.pattern} ${opts.tz} after ${millis}`).toBe(
            defaultRepeatStrategy(millis, opts),
          );
        }
      }
    }
  });

  it('answers a time exactly on an occurrence with the following one, as BullMQ does', () => {
    const nightly = { pattern: '0 3 * * *', tz: 'UTC' };
    const due = Date.parse('2026-12-01T03:00:00Z');
    const occurrences = new CronOccurrences();

    expect(occurrences.next(due - 1, nightly)).toBe(due);
    expect(occurrences.next(due, nightly)).toBe(due + 24 * HOUR_MS);
    expect(occurrences.next(due - 1, nightly)).toBe(due);
  });

  it('parses a pattern once for a burst of schedulers sharing it, however they arrive within the gap', () => {
    const nightly = { pattern: '0 3 * * *', tz: 'Europe/Oslo' };
    const due = Date.parse('2026-12-01T02:00:00Z');
    const { calls, compute } = counting();
    const occurrences = new CronOccurrences({ compute });

    // A thousand triggers firing over the minute after the due time, each asking for tomorrow's.
    const answers = new Set<number | undefined>();
    for (let index = 0; index < 1_000; index++)
      answers.add(occurrences.next(due + 500 + index * 60, nightly));
    // One handled sooner after its due time asks from earlier in the gap: that widens it, once.
    answers.add(occurrences.next(due + 10, nightly));
    answers.add(occurrences.next(due + 20, nightly));

    expect([...answers]).toEqual([due + 24 * HOUR_MS]);
    expect(calls.count).toBe(2);
    // The gap starts where it was asked about, not before: just before the due time, the due time is next.
    expect(occurrences.next(due - 1, nightly)).toBe(due);
  });

  it('computes afresh when a start date, end date or immediately could move the answer', () => {
    const { calls, compute } = counting();
    const occurrences = new CronOccurrences({ compute });
    const at = Date.parse('2026-12-01T12:00:00Z');
    const bounded: RepeatOptions[] = [
      { pattern: '0 3 * * *', startDate: at + 5 * 24 * HOUR_MS },
      { pattern: '0 3 * * *', endDate: at + 24 * HOUR_MS },
    ];

    for (const opts of bounded) {
      expect(occurrences.next(at, opts)).toBe(defaultRepeatStrategy(at, opts));
      expect(occurrences.next(at + 1, opts)).toBe(defaultRepeatStrategy(at + 1, opts));
    }
    expect(calls.count).toBe(4);
  });

  it('forgets the oldest pattern beyond its capacity and still answers it correctly', () => {
    const { calls, compute } = counting();
    const occurrences = new CronOccurrences({ capacity: 2, compute });
    const at = Date.parse('2026-12-01T12:00:00Z');
    const patterns = ['0 3 * * *', '0 4 * * *', '0 5 * * *'].map((pattern) => ({ pattern, tz: 'UTC' }));

    for (const opts of patterns) occurrences.next(at, opts);
    const [first, , third] = patterns as [RepeatOptions, RepeatOptions, RepeatOptions];
    expect(occurrences.next(at + 1, third)).toBe(defaultRepeatStrategy(at + 1, third));
    expect(calls.count).toBe(3);
    expect(occurrences.next(at + 1, first)).toBe(defaultRepeatStrategy(at + 1, first));
    expect(calls.count).toBe(4);
  });
});
