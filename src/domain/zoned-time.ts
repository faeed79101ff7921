/**
 * The instant a wall-clock reading names in an IANA time zone, exact across DST. Readings are carried as
 * "wall ms": the reading taken as if it were UTC (`utcMs(year, month, day, hour, minute)`), so date
 * arithmetic on them is plain arithmetic.
 */

export const DAY_MS = 86_400_000;
const SECOND_MS = 1000;

// One formatter per zone: creating one costs far more than using it, and a fleet shares few zones. Zone
// names are case-insensitive, so bound the spellings kept.
const formatters = new Map<string, Intl.DateTimeFormat>();
const FORMATTERS_MAX = 1000;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size >= FORMATTERS_MAX) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

// `format` is several times faster than `formatToParts`; the parts are the fallback if ICU ever words it
// differently.
const US_DATE_TIME = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

/** The wall-clock reading of an instant in a zone, as wall ms (milliseconds kept). */
function wallMsAt(atMs: number, timeZone: string): number {
  const formatter = formatterFor(timeZone);
  const date = new Date(atMs);
  const match = US_DATE_TIME.exec(formatter.format(date));
  const field = match
    ? (index: number) => Number(match[index])
    : (index: number) => {
        const type = ['', 'month', 'day', 'year', 'hour', 'minute', 'second'][index];
        return Number(formatter.formatToParts(date).find((part) => part.type === type)?.value);
      };
  const wholeSecondsMs = utcMs(field(3), field(1), field(2), field(4), field(5), field(6));
  return wholeSecondsMs + (atMs - Math.floor(atMs / SECOND_MS) * SECOND_MS);
}

/** `Date.UTC` without its mapping of years 0–99 to 1900–1999. */
export function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (year < 0 || year >= 100) return ms;
  const date = new Date(ms);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

function offsetMsAt(atMs: number, timeZone: string): number {
  return wallMsAt(atMs, timeZone) - atMs;
}

// Plan and status convert the same few openings for every policy sharing a window: remember them.
const instants = new Map<string, number>();
const INSTANTS_MAX = 100_000;

/**
 * The instant a wall-clock reading names in a zone. A reading that occurs twice (clocks turned back) names
 * its first occurrence; a reading that does not occur (clocks turned forward over it) names the first
 * instant after the gap, the moment the clocks jump.
 */
export function instantOfWallMs(wallMs: number, timeZone: string): number {
  const key = `${timeZone} ${wallMs}`;
  const known = instants.get(key);
  if (known !== undefined) return known;
  const instant = findInstantOfWallMs(wallMs, timeZone);
  if (instants.size >= INSTANTS_MAX) instants.clear();
  instants.set(key, instant);
  return instant;
}

function findInstantOfWallMs(wallMs: number, timeZone: string): number {
  // Zones change offset at most once in any two days, so the offset a day earlier is the one in force
  // before any change near this reading. Where a reading occurs twice, that larger, earlier offset names
  // its first occurrence.
  const offsetBefore = offsetMsAt(wallMs - DAY_MS, timeZone);
  const underOffsetBefore = wallMs - offsetBefore;
  const offsetThere = offsetMsAt(underOffsetBefore, timeZone);
  if (offsetThere === offsetBefore) return underOffsetBefore;
  const underOffsetAfter = wallMs - offsetThere;
  if (offsetMsAt(underOffsetAfter, timeZone) === offsetThere) return underOffsetAfter;
  return firstInstantWithNewOffset(underOffsetAfter, underOffsetBefore, offsetBefore, timeZone);
}

/** The change of offset between `before` (still under `offsetBefore`) and `after`, to the second. */
function firstInstantWithNewOffset(before: number, after: number, offsetBefore: number, timeZone: string) {
  let low = Math.floor(before / SECOND_MS);
  let high = Math.ceil(after / SECOND_MS);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetMsAt(middle * SECOND_MS, timeZone) === offsetBefore) low = middle;
    else high = middle;
  }
  return high * SECOND_MS;
}
