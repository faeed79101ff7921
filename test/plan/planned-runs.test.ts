import { describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { jitterOffsetMs } from '../../src/domain/jitter-offset.js';
import type { PlannedStart } from '../../src/domain/planned-starts.js';
import { plannedRuns } from '../../src/plan/planned-runs.js';

/** Instants are written with their offset (`2026-11-28T01:00+01:00` is 01:00 in Oslo) so each reads as local time. */
const ms = (text: string) => Date.parse(text);
const HOUR_MS = 3_600_000;

/** A policy as far as its planned runs go: id (for its jitter offset), schedule, jitter and windows. */
function policy(fields: Pick<PolicyConfig, 'id' | 'schedule' | 'jitterMs' | 'windows'>): PolicyConfig {
  return fields as PolicyConfig;
}

/** The runs with instants as ISO strings, so a failure reads as times. */
function readable(runs: readonly PlannedStart[]) {
  const iso = (at: number) => new Date(at).toISOString();
  return runs.map(({ dueMs, atMs, shift }) => ({
    due: iso(dueMs),
    at: iso(atMs),
    ...(shift === undefined ? {} : { shift: { ...shift, until: iso(shift.until) } }),
  }));
}
const iso = (text: string) => new Date(ms(text)).toISOString();

describe('plannedRuns', () => {
  it('an hourly cron with a weekend 01:00–05:00 window: the runs due on Friday make one at Saturday 01:00, then hourly', () => {
    const hourly = policy({
      id: 'weekend-hourly',
      schedule: { kind: 'cron', pattern: '0 * * * *', tz: 'Europe/Oslo' },
      jitterMs: 0,
      windows: {
        allowed: [{ days: ['sat', 'sun'], from: '01:00', to: '05:00', timeZone: 'Europe/Oslo' }],
        freezes: [],
      },
    });
    // Friday 13:30 in Oslo.
    const runs = plannedRuns(hourly, ms('2026-11-27T13:30+01:00'), 3);
    expect(readable(runs)).toEqual([
      {
        due: iso('2026-11-27T14:00+01:00'),
        at: iso('2026-11-28T01:00+01:00'),
        shift: { kind: 'window', until: iso('2026-11-28T01:00+01:00') },
      },
      { due: iso('2026-11-28T02:00+01:00'), at: iso('2026-11-28T02:00+01:00') },
      { due: iso('2026-11-28T03:00+01:00'), at: iso('2026-11-28T03:00+01:00') },
    ]);
  });

  it('an every-6h schedule with jitter runs at due time plus its offset, and a freeze moves one run to its end, naming its reason', () => {
    const sixHourly = policy({
      id: 'payroll-keys',
      schedule: { kind: 'every', everyMs: 6 * HOUR_MS },
      jitterMs: 30 * 60_000,
      windows: {
        freezes: [
          { fromMs: ms('2026-12-20T00:00Z'), toMs: ms('2026-12-21T00:00Z'), reason: 'year-end close' },
        ],
      },
    });
    const offsetMs = jitterOffsetMs(sixHourly);
    // The third run's due time lies after the freeze's end only with an offset; with none it would be 06:00.
    expect(offsetMs).toBeGreaterThan(0);
    const fromMs = ms('2026-12-19T12:00Z');
    const runs = plannedRuns(sixHourly, fromMs, 3);
    expect(runs).toEqual([
      { dueMs: ms('2026-12-19T18:00Z') + offsetMs, atMs: ms('2026-12-19T18:00Z') + offsetMs },
      {
        dueMs: ms('2026-12-20T00:00Z') + offsetMs,
        atMs: ms('2026-12-21T00:00Z'),
        shift: { kind: 'freeze', until: ms('2026-12-21T00:00Z'), freezeReason: 'year-end close' },
      },
      // The runs due 06:00, 12:00 and 18:00 inside the freeze were folded into the one at its end.
      { dueMs: ms('2026-12-21T00:00Z') + offsetMs, atMs: ms('2026-12-21T00:00Z') + offsetMs },
    ]);
  });

  it('applies the window to the start after jitter: an offset past the window’s close defers the run to the next opening', () => {
    const nightly = (id: string) =>
      policy({
        id,
        schedule: { kind: 'cron', pattern: '55 4 * * *', tz: 'Europe/Oslo' },
        jitterMs: 10 * 60_000,
        windows: {
          allowed: [
            {
              days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
              from: '01:00',
              to: '05:00',
              timeZone: 'Europe/Oslo',
            },
          ],
          freezes: [],
        },
      });
    const fromMs = ms('2026-11-24T12:00+01:00');
    const early = nightly('backup-keys');
    const late = nightly('late-starter');
    // 04:55 plus under 5 minutes is still inside the window; plus over 5 minutes is past its close.
    expect(jitterOffsetMs(early)).toBeLessThan(5 * 60_000);
    expect(jitterOffsetMs(late)).toBeGreaterThan(5 * 60_000);

    const dueEarly = ms('2026-11-25T04:55+01:00') + jitterOffsetMs(early);
    expect(plannedRuns(early, fromMs, 1)).toEqual([{ dueMs: dueEarly, atMs: dueEarly }]);
    expect(readable(plannedRuns(late, fromMs, 2))).toEqual([
      {
        due: new Date(ms('2026-11-25T04:55+01:00') + jitterOffsetMs(late)).toISOString(),
        at: iso('2026-11-26T01:00+01:00'),
        shift: { kind: 'window', until: iso('2026-11-26T01:00+01:00') },
      },
      {
        due: new Date(ms('2026-11-26T04:55+01:00') + jitterOffsetMs(late)).toISOString(),
        at: iso('2026-11-27T01:00+01:00'),
        shift: { kind: 'window', until: iso('2026-11-27T01:00+01:00') },
      },
    ]);
  });

  it('without windows, the runs start when due', () => {
    const fromMs = ms('2026-11-24T12:00Z');
    const runs = plannedRuns(
      policy({ id: 'plain', schedule: { kind: 'every', everyMs: HOUR_MS }, jitterMs: 0 }),
      fromMs,
      2,
    );
    expect(runs).toEqual([
      { dueMs: fromMs + HOUR_MS, atMs: fromMs + HOUR_MS },
      { dueMs: fromMs + 2 * HOUR_MS, atMs: fromMs + 2 * HOUR_MS },
    ]);
  });

  it('plans nothing for before-expiry and manual schedules, whose runs have no fixed times', () => {
    const windows = { allowed: [], freezes: [] };
    const fromMs = ms('2026-11-24T12:00Z');
    for (const schedule of [{ kind: 'beforeExpiry', leadMs: HOUR_MS } as const, { kind: 'manual' } as const])
      expect(plannedRuns(policy({ id: 'unscheduled', schedule, jitterMs: 0, windows }), fromMs, 3)).toEqual(
        [],
      );
  });
});
