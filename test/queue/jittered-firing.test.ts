import { defaultRepeatStrategy } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../src/config/rotor-config.js';
import { jitterOffsetMs } from '../../src/domain/jitter-offset.js';
import {
  dueTimeOf,
  type FiringRepeatOptions,
  firesAfterDueMs,
  firingRepeatStrategy,
} from '../../src/queue/jittered-firing.js';

const NIGHTLY: FiringRepeatOptions = { pattern: '0 3 * * *', tz: 'Europe/Oslo' };
const OFFSET_MS = 437_215;
const from = Date.parse('2026-12-01T12:00:00Z');
const osloThreeAm = (after: number, count: number) => {
  const expression = CronExpressionParser.parse(NIGHTLY.pattern ?? '', {
    tz: 'Europe/Oslo',
    currentDate: new Date(after),
  });
  return Array.from({ length: count }, () => expression.next().getTime());
};

describe('when a policy’s trigger fires', () => {
  it('fires a cron or before-expiry policy’s trigger its jitter offset after the due time, an `every` one at it', () => {
    const withSchedule = (schedule: Schedule) => ({ id: 'payments-api', jitterMs: 600_000, schedule });
    const offset = jitterOffsetMs({ id: 'payments-api', jitterMs: 600_000 });
    expect(offset).toBeGreaterThan(0);
    expect(firesAfterDueMs(withSchedule({ kind: 'cron', pattern: '0 3 * * *', tz: 'UTC' }))).toBe(offset);
    expect(firesAfterDueMs(withSchedule({ kind: 'beforeExpiry', leadMs: 86_400_000 }))).toBe(offset);
    expect(firesAfterDueMs(withSchedule({ kind: 'every', everyMs: 3_600_000 }))).toBe(0);
  });

  it('schedules a cron scheduler without an offset exactly as BullMQ does', () => {
    expect(firingRepeatStrategy(from, NIGHTLY)).toBe(defaultRepeatStrategy(from, NIGHTLY));
    const zeroOffset: FiringRepeatOptions = { ...NIGHTLY, firesAfterDueMs: 0 };
    expect(firingRepeatStrategy(from, zeroOffset)).toBe(osloThreeAm(from, 1)[0]);
  });

  it('fires at each cron occurrence plus the offset, run after run', async () => {
    const [first, second, third] = osloThreeAm(from, 3) as [number, number, number];
    const repeat = { ...NIGHTLY, firesAfterDueMs: OFFSET_MS };

    const firing = await firingRepeatStrategy(from, repeat);
    // The worker asks for the next firing as it takes this one, a little after its time.
    const next = await firingRepeatStrategy(first + OFFSET_MS + 15, repeat);
    const afterThat = await firingRepeatStrategy(second + OFFSET_MS, repeat);

    expect([firing, next, afterThat]).toEqual([first + OFFSET_MS, second + OFFSET_MS, third + OFFSET_MS]);
  });

  it('still fires for a due time already past when its firing is ahead (a scheduler written inside the window)', async () => {
    const [due] = osloThreeAm(from, 1) as [number];
    const repeat = { ...NIGHTLY, firesAfterDueMs: OFFSET_MS };

    expect(await firingRepeatStrategy(due + 60_000, repeat)).toBe(due + OFFSET_MS);
  });

  it('reads a trigger’s due time back from when it fired and the offset its data names', () => {
    expect(dueTimeOf(1_000_500, { policyId: 'p', source: 'schedule', firesAfterDueMs: 500 })).toBe(1_000_000);
    expect(dueTimeOf(1_000_500, { policyId: 'p', source: 'schedule' })).toBe(1_000_500);
    expect(dueTimeOf(1_000_500, { firesAfterDueMs: '500' })).toBe(1_000_500);
    expect(dueTimeOf(1_000_500, undefined)).toBe(1_000_500);
  });
});
