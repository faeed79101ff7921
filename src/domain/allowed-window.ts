import { DAY_MS, instantOfWallMs } from './zoned-time.js';

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

/**
 * A weekly time range in which rotations may start: on each of `days`, from `from` until `to` (`HH:MM`, wall
 * clock in `timeZone`). A `to` before `from` runs past midnight into the next day (`fri 22:00–02:00` ends
 * Saturday 02:00); `to: '24:00'` ends at midnight. `to` equal to `from` is an empty window, not a whole day
 * (that is `00:00`–`24:00`).
 */
export interface AllowedWindow {
  readonly days: readonly Weekday[];
  readonly from: string;
  readonly to: string;
  readonly timeZone: string;
}

/** An open period of a window, as instants, half-open: [openMs, closeMs). */
export interface OpenPeriod {
  readonly openMs: number;
  readonly closeMs: number;
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MINUTE_MS = 60_000;

/** Minutes after midnight of an `HH:MM` reading (`24:00` only where it may end a window), or undefined. */
export function minutesOfDay(text: string, endOfDay: boolean): number | undefined {
  if (endOfDay && text === '24:00') return 24 * 60;
  const match = TIME_OF_DAY.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** A window's period on one day, as ms after that day's midnight (wall clock); undefined when it is empty. */
function dailyPeriod(window: AllowedWindow): { readonly fromMs: number; readonly toMs: number } | undefined {
  const from = minutesOfDay(window.from, false);
  const to = minutesOfDay(window.to, true);
  if (window.days.length === 0 || from === undefined || to === undefined || from === to) return undefined;
  return { fromMs: from * MINUTE_MS, toMs: (to < from ? to + 24 * 60 : to) * MINUTE_MS };
}

// No zone's clock has been 16 hours or more from UTC, so an instant's local date is between the UTC date 16
// hours earlier and two days after that. Scanning from the day before it (yesterday's period may run past
// midnight) needs no clock reading, and 19 days cover two weeks from the local date: a weekly window opens
// within one, and a day whose period lies wholly inside a DST gap (so is empty) pushes it into the next.
const MOST_BEHIND_UTC_MS = 16 * 3_600_000;
const DAYS_SCANNED = 19;

/**
 * The open period of a window that contains `atMs` or, when none does, the next one to open; undefined when
 * the window never opens. Openings and closings are wall-clock readings: see `instantOfWallMs` for those a
 * DST change skips or repeats.
 */
export function openPeriodFrom(atMs: number, window: AllowedWindow): OpenPeriod | undefined {
  const period = dailyPeriod(window);
  if (period === undefined) return undefined;
  const firstDayMs = Math.floor((atMs - MOST_BEHIND_UTC_MS) / DAY_MS) * DAY_MS - DAY_MS;
  for (let day = 0; day < DAYS_SCANNED; day++) {
    const dayMs = firstDayMs + day * DAY_MS;
    if (!window.days.includes(weekdayOf(dayMs))) continue;
    const closeMs = instantOfWallMs(dayMs + period.toMs, window.timeZone);
    if (closeMs <= atMs) continue;
    const openMs = instantOfWallMs(dayMs + period.fromMs, window.timeZone);
    if (openMs < closeMs) return { openMs, closeMs };
  }
  return undefined;
}

/** The weekday of a local midnight given as wall ms. */
function weekdayOf(dayMs: number): Weekday {
  // 1970-01-01 was a Thursday.
  return weekdays[(((Math.floor(dayMs / DAY_MS) + 3) % 7) + 7) % 7] as Weekday;
}
