import { nextAllowedStart, type RotationWindows, type StartShift } from './rotation-windows.js';

/** One run a schedule will start: when it was due, and when windows and freezes let it start. */
export interface PlannedStart {
  /** The first due time this run serves; later ones deferred to the same start are folded into it. */
  readonly dueMs: number;
  readonly atMs: number;
  /** Absent when the run starts when due. */
  readonly shift?: StartShift;
}

/**
 * The next `count` runs of a schedule after `fromMs`, as windows and freezes let them start.
 * `nextDueAfter(ms)` is the schedule's first due time strictly after `ms` (jitter already added), or
 * undefined when it has none. Due times deferred to the same allowed start make one run, never one per
 * missed period: the run after a deferred start serves the first due time after that start. Fewer than
 * `count` when the schedule ends or no start is allowed within the horizon.
 */
export function nextStarts(
  fromMs: number,
  count: number,
  nextDueAfter: (ms: number) => number | undefined,
  windows: RotationWindows,
): PlannedStart[] {
  const starts: PlannedStart[] = [];
  let afterMs = fromMs;
  while (starts.length < count) {
    const dueMs = nextDueAfter(afterMs);
    if (dueMs === undefined || dueMs <= afterMs) break;
    const start = nextAllowedStart(dueMs, windows);
    if (start === undefined) break;
    starts.push({ dueMs, ...start });
    afterMs = start.atMs;
  }
  return starts;
}
