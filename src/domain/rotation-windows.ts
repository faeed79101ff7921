import { type AllowedWindow, openPeriodFrom } from './allowed-window.js';
import { DAY_MS } from './zoned-time.js';

export type { AllowedWindow, Weekday } from './allowed-window.js';

/** A period in which no rotation may start, as instants, half-open: [fromMs, toMs). */
export interface Freeze {
  readonly fromMs: number;
  readonly toMs: number;
  readonly reason?: string;
}

/** When rotations may start: inside any allowed window (any time when `allowed` is absent) and no freeze. */
export interface RotationWindows {
  readonly allowed?: readonly AllowedWindow[];
  readonly freezes: readonly Freeze[];
}

/**
 * Why a start moved. A freeze is named whenever one moved it (the last one that did), even when a window
 * then moved it further: the freeze is the reason a reader needs. `until` is when that reason stopped
 * blocking: the freeze's end, or the opening of the window the start waited for.
 */
export type StartShift =
  | { readonly kind: 'freeze'; readonly until: number; readonly freezeReason?: string }
  | { readonly kind: 'window'; readonly until: number };

export interface AllowedStart {
  readonly atMs: number;
  /** Absent when the start did not move. */
  readonly shift?: StartShift;
}

/** How far ahead an allowed start is looked for: windows and freezes that allow none in this never open. */
export const ALLOWED_START_HORIZON_MS = 3 * 366 * DAY_MS;

/**
 * The first instant at or after `atMs` inside some allowed window and outside every freeze, or undefined
 * when there is none within `ALLOWED_START_HORIZON_MS` (days listed none, windows empty, or freezes cover it).
 * Expects windows that `windowProblems` finds nothing wrong with (an unknown zone throws a RangeError).
 */
export function nextAllowedStart(atMs: number, windows: RotationWindows): AllowedStart | undefined {
  const horizonMs = atMs + ALLOWED_START_HORIZON_MS;
  let startMs = atMs;
  let shift: StartShift | undefined;
  let insideWindow = false;
  // Each pass moves the start past a freeze or to a window's opening, until neither moves it.
  while (startMs <= horizonMs) {
    const freeze = windows.freezes.find((candidate) => frozenAt(startMs, candidate));
    if (freeze !== undefined) {
      startMs = freeze.toMs;
      shift = {
        kind: 'freeze',
        until: freeze.toMs,
        ...(freeze.reason ? { freezeReason: freeze.reason } : {}),
      };
      insideWindow = false;
      continue;
    }
    if (insideWindow || windows.allowed === undefined)
      return shift === undefined ? { atMs: startMs } : { atMs: startMs, shift };
    const openingMs = nextOpeningMs(startMs, windows.allowed);
    if (openingMs === undefined) return undefined;
    if (openingMs > startMs) {
      startMs = openingMs;
      if (shift?.kind !== 'freeze') shift = { kind: 'window', until: openingMs };
    }
    insideWindow = true;
  }
  return undefined;
}

export function isAllowedAt(atMs: number, windows: RotationWindows): boolean {
  if (windows.freezes.some((freeze) => frozenAt(atMs, freeze))) return false;
  const openingMs = windows.allowed === undefined ? atMs : nextOpeningMs(atMs, windows.allowed);
  return openingMs !== undefined && openingMs <= atMs;
}

function frozenAt(atMs: number, freeze: Freeze): boolean {
  return freeze.fromMs <= atMs && atMs < freeze.toMs;
}

/** `atMs` itself, or earlier, when a window is open then; otherwise the next opening of any window. */
function nextOpeningMs(atMs: number, allowed: readonly AllowedWindow[]): number | undefined {
  let earliest: number | undefined;
  for (const window of allowed) {
    const period = openPeriodFrom(atMs, window);
    if (period === undefined) continue;
    if (period.openMs <= atMs) return period.openMs;
    if (earliest === undefined || period.openMs < earliest) earliest = period.openMs;
  }
  return earliest;
}
