import { describe, expect, it } from 'vitest';
import { nextStarts } from '../../src/domain/planned-starts.js';
import {
  type AllowedWindow,
  type Freeze,
  isAllowedAt,
  nextAllowedStart,
  type RotationWindows,
  type Weekday,
} from '../../src/domain/rotation-windows.js';

/** Instants are written with their offset (`2026-03-29T03:00+02:00`) so each expectation shows local time. */
const ms = (text: string) => Date.parse(text);
const iso = (text: string) => new Date(ms(text)).toISOString();

function window(days: readonly Weekday[], from: string, to: string, timeZone = 'Europe/Oslo'): AllowedWindow {
  return { days, from, to, timeZone };
}

function freeze(from: string, to: string, reason?: string): Freeze {
  return { fromMs: ms(from), toMs: ms(to), ...(reason === undefined ? {} : { reason }) };
}

const everyDay: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** `nextAllowedStart`, with instants as ISO strings so a failure reads as times. */
function startFrom(text: string, windows: RotationWindows) {
  const start = nextAllowedStart(ms(text), windows);
  if (start === undefined) return undefined;
  const at = new Date(start.atMs).toISOString();
  if (start.shift === undefined) return { at };
  return { at, shift: { ...start.shift, until: new Date(start.shift.until).toISOString() } };
}

describe('nextAllowedStart and isAllowedAt', () => {
  it('lets a start through unmoved when no windows are given and nothing is frozen', () => {
    expect(startFrom('2026-05-06T13:37:00Z', { freezes: [] })).toEqual({ at: iso('2026-05-06T13:37:00Z') });
  });

  it('a window across midnight (fri 22:00–02:00) allows Saturday 01:00 but not Saturday 03:00', () => {
    const windows = { allowed: [window(['fri'], '22:00', '02:00')], freezes: [] };
    expect(isAllowedAt(ms('2026-05-02T01:00+02:00'), windows)).toBe(true);
    expect(isAllowedAt(ms('2026-05-02T02:00+02:00'), windows)).toBe(false);
    expect(isAllowedAt(ms('2026-05-02T03:00+02:00'), windows)).toBe(false);
    expect(startFrom('2026-05-02T03:00+02:00', windows)).toEqual({
      at: iso('2026-05-08T22:00+02:00'),
      shift: { kind: 'window', until: iso('2026-05-08T22:00+02:00') },
    });
  });

  it('with several windows a day, a start between them waits for the next one, the same day or the next', () => {
    const windows = {
      allowed: [window(everyDay, '01:00', '03:00'), window(everyDay, '13:00', '15:00')],
      freezes: [],
    };
    expect(startFrom('2026-05-06T05:00+02:00', windows)?.at).toBe(iso('2026-05-06T13:00+02:00'));
    expect(startFrom('2026-05-06T14:00+02:00', windows)).toEqual({ at: iso('2026-05-06T14:00+02:00') });
    expect(startFrom('2026-05-06T16:00+02:00', windows)?.at).toBe(iso('2026-05-07T01:00+02:00'));
  });

  it("a window to '24:00' stays open until midnight", () => {
    const windows = { allowed: [window(['sat'], '20:00', '24:00')], freezes: [] };
    expect(isAllowedAt(ms('2026-05-02T23:59+02:00'), windows)).toBe(true);
    expect(isAllowedAt(ms('2026-05-03T00:00+02:00'), windows)).toBe(false);
  });

  describe('across DST changes', () => {
    it('Europe/Oslo spring forward: a window opening at 02:30, inside the gap, opens at 03:00 CEST', () => {
      const windows = { allowed: [window(['sun'], '02:30', '04:00')], freezes: [] };
      expect(startFrom('2026-03-28T12:00+01:00', windows)?.at).toBe(iso('2026-03-29T03:00+02:00'));
      expect(isAllowedAt(ms('2026-03-29T03:59+02:00'), windows)).toBe(true);
      expect(isAllowedAt(ms('2026-03-29T04:00+02:00'), windows)).toBe(false);
    });

    it('Europe/Oslo spring forward: a window lying wholly inside the gap is empty that day', () => {
      const windows = { allowed: [window(['sun'], '02:00', '02:30')], freezes: [] };
      expect(startFrom('2026-03-28T12:00+01:00', windows)?.at).toBe(iso('2026-04-05T02:00+02:00'));
    });

    it('Europe/Oslo: a daily window keeps its wall-clock time on both sides of the change', () => {
      const windows = { allowed: [window(everyDay, '03:00', '04:00')], freezes: [] };
      expect(startFrom('2026-03-28T05:00+01:00', windows)?.at).toBe(iso('2026-03-29T03:00+02:00'));
      expect(startFrom('2026-10-24T05:00+02:00', windows)?.at).toBe(iso('2026-10-25T03:00+01:00'));
    });

    it('Europe/Oslo fall back: a window opening at 02:30, inside the repeated hour, opens at its first occurrence and stays open through the second', () => {
      const windows = { allowed: [window(['sun'], '02:30', '05:00')], freezes: [] };
      expect(startFrom('2026-10-24T12:00+02:00', windows)?.at).toBe(iso('2026-10-25T02:30+02:00'));
      expect(isAllowedAt(ms('2026-10-25T02:15+01:00'), windows)).toBe(true);
      expect(isAllowedAt(ms('2026-10-25T04:59+01:00'), windows)).toBe(true);
      expect(isAllowedAt(ms('2026-10-25T05:00+01:00'), windows)).toBe(false);
    });

    it('America/New_York spring forward: a window opening at 02:30, inside the gap, opens at 03:00 EDT', () => {
      const windows = { allowed: [window(['sun'], '02:30', '03:30', 'America/New_York')], freezes: [] };
      expect(startFrom('2026-03-07T12:00-05:00', windows)?.at).toBe(iso('2026-03-08T03:00-04:00'));
      expect(isAllowedAt(ms('2026-03-08T03:30-04:00'), windows)).toBe(false);
    });

    it('America/New_York fall back: a window opening at 01:30, inside the repeated hour, opens at its first occurrence (EDT)', () => {
      const windows = { allowed: [window(['sun'], '01:30', '03:00', 'America/New_York')], freezes: [] };
      expect(startFrom('2026-10-31T12:00-04:00', windows)?.at).toBe(iso('2026-11-01T01:30-04:00'));
      expect(isAllowedAt(ms('2026-11-01T01:15-05:00'), windows)).toBe(true);
      expect(isAllowedAt(ms('2026-11-01T03:00-05:00'), windows)).toBe(false);
    });
  });

  describe('freezes', () => {
    const nightly = window(everyDay, '01:00', '03:00', 'UTC');

    it('a freeze spanning several windows pushes the start to the first window after the freeze', () => {
      const windows = {
        allowed: [nightly],
        freezes: [freeze('2026-05-06T00:00Z', '2026-05-08T12:00Z', 'release week')],
      };
      expect(startFrom('2026-05-06T02:00Z', windows)).toEqual({
        at: iso('2026-05-09T01:00Z'),
        shift: { kind: 'freeze', freezeReason: 'release week', until: iso('2026-05-08T12:00Z') },
      });
    });

    it("a freeze inside a window pushes the start to the freeze's end while the window is still open", () => {
      const windows = { allowed: [nightly], freezes: [freeze('2026-05-06T01:30Z', '2026-05-06T02:00Z')] };
      expect(startFrom('2026-05-06T01:45Z', windows)).toEqual({
        at: iso('2026-05-06T02:00Z'),
        shift: { kind: 'freeze', until: iso('2026-05-06T02:00Z') },
      });
    });

    it('is half-open: a start at the end of a freeze is allowed, at its beginning is not', () => {
      const windows = { freezes: [freeze('2026-05-06T01:30Z', '2026-05-06T02:00Z')] };
      expect(isAllowedAt(ms('2026-05-06T01:30Z'), windows)).toBe(false);
      expect(isAllowedAt(ms('2026-05-06T02:00Z'), windows)).toBe(true);
    });

    it('overlapping and back-to-back freezes push the start past all of them, naming the last', () => {
      const windows = {
        freezes: [
          freeze('2026-12-18T00:00Z', '2026-12-24T00:00Z', 'code freeze'),
          freeze('2026-12-24T00:00Z', '2027-01-02T00:00Z', 'holidays'),
          freeze('2026-12-20T00:00Z', '2026-12-22T00:00Z', 'inside the first'),
        ],
      };
      expect(startFrom('2026-12-21T00:00Z', windows)).toEqual({
        at: iso('2027-01-02T00:00Z'),
        shift: { kind: 'freeze', freezeReason: 'holidays', until: iso('2027-01-02T00:00Z') },
      });
    });
  });

  describe('windows that never open', () => {
    it.each([
      ['no days', { allowed: [window([], '01:00', '03:00')], freezes: [] }],
      ['a zero-length window', { allowed: [window(everyDay, '03:00', '03:00')], freezes: [] }],
      ['an empty list of windows', { allowed: [], freezes: [] }],
      [
        'a freeze longer than the three-year horizon',
        { freezes: [freeze('2026-01-01T00:00Z', '2030-01-01T00:00Z')] },
      ],
    ])('%s: no allowed start', (_, windows: RotationWindows) => {
      expect(nextAllowedStart(ms('2026-05-06T00:00Z'), windows)).toBeUndefined();
      expect(isAllowedAt(ms('2026-05-06T00:00Z'), windows)).toBe(false);
    });
  });
});

describe('nextStarts', () => {
  /** A daily schedule at a UTC time of day, plus a fixed jitter offset, as the caller builds it. */
  function dailyAt(hour: number, minute: number, jitterMs = 0) {
    return (afterMs: number) => {
      const dayStart = Math.floor((afterMs - jitterMs) / 86_400_000) * 86_400_000;
      const today = dayStart + (hour * 60 + minute) * 60_000 + jitterMs;
      return today > afterMs ? today : today + 86_400_000;
    };
  }

  function plannedFrom(
    text: string,
    count: number,
    nextDueAfter: (ms: number) => number | undefined,
    windows: RotationWindows,
  ) {
    return nextStarts(ms(text), count, nextDueAfter, windows).map((start) => ({
      due: new Date(start.dueMs).toISOString(),
      at: new Date(start.atMs).toISOString(),
      ...(start.shift ? { shift: start.shift.kind } : {}),
    }));
  }

  it("collapses a daily cron's due times over a 14-day freeze into one run at the freeze's end, then runs daily again", () => {
    const windows = { freezes: [freeze('2026-12-20T00:00Z', '2027-01-03T12:00Z', 'holidays')] };
    expect(plannedFrom('2026-12-18T12:00Z', 4, dailyAt(3, 0), windows)).toEqual([
      { due: iso('2026-12-19T03:00Z'), at: iso('2026-12-19T03:00Z') },
      { due: iso('2026-12-20T03:00Z'), at: iso('2027-01-03T12:00Z'), shift: 'freeze' },
      { due: iso('2027-01-04T03:00Z'), at: iso('2027-01-04T03:00Z') },
      { due: iso('2027-01-05T03:00Z'), at: iso('2027-01-05T03:00Z') },
    ]);
  });

  it('collapses hourly due times outside a one-hour window into one run per opening', () => {
    const hourly = (afterMs: number) => (Math.floor(afterMs / 3_600_000) + 1) * 3_600_000;
    const windows = { allowed: [window(everyDay, '02:00', '03:00', 'UTC')], freezes: [] };
    expect(plannedFrom('2026-05-06T03:30Z', 3, hourly, windows)).toEqual([
      { due: iso('2026-05-06T04:00Z'), at: iso('2026-05-07T02:00Z'), shift: 'window' },
      { due: iso('2026-05-07T03:00Z'), at: iso('2026-05-08T02:00Z'), shift: 'window' },
      { due: iso('2026-05-08T03:00Z'), at: iso('2026-05-09T02:00Z'), shift: 'window' },
    ]);
  });

  it('applies windows after jitter: a due time inside the window that jitter carries out of it moves to the next opening', () => {
    const windows = { allowed: [window(everyDay, '02:00', '03:00', 'UTC')], freezes: [] };
    expect(isAllowedAt(ms('2026-05-06T02:50Z'), windows)).toBe(true);
    expect(plannedFrom('2026-05-06T00:00Z', 1, dailyAt(2, 50, 15 * 60_000), windows)).toEqual([
      { due: iso('2026-05-06T03:05Z'), at: iso('2026-05-07T02:00Z'), shift: 'window' },
    ]);
  });

  it('lists fewer runs when no start is allowed within the horizon', () => {
    const windows = { freezes: [freeze('2026-05-10T00:00Z', '2031-01-01T00:00Z')] };
    expect(plannedFrom('2026-05-06T12:00Z', 3, dailyAt(3, 0), windows)).toEqual([
      { due: iso('2026-05-07T03:00Z'), at: iso('2026-05-07T03:00Z') },
      { due: iso('2026-05-08T03:00Z'), at: iso('2026-05-08T03:00Z') },
      { due: iso('2026-05-09T03:00Z'), at: iso('2026-05-09T03:00Z') },
    ]);
    expect(plannedFrom('2026-05-08T12:00Z', 3, dailyAt(3, 0), windows)).toHaveLength(1);
  });

  it('stops when the schedule has no further due time', () => {
    const once = (afterMs: number) =>
      afterMs < ms('2026-05-07T00:00Z') ? ms('2026-05-07T00:00Z') : undefined;
    expect(plannedFrom('2026-05-06T00:00Z', 3, once, { freezes: [] })).toHaveLength(1);
  });
});
