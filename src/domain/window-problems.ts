import { type AllowedWindow, minutesOfDay } from './allowed-window.js';
import { type Freeze, nextAllowedStart, type RotationWindows } from './rotation-windows.js';
import { isTimeZone } from './zoned-time.js';

/** Something wrong with a set of windows: where (`['allowed', 1, 'to']`) and what to write instead. */
export interface WindowProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

// Windows repeat weekly, so whether they ever open can be asked from any instant.
const ANY_INSTANT_MS = Date.UTC(2000, 0, 1);

/** Why an `HH:MM` reading is unusable (`24:00` only where it ends a window), or undefined. */
export function timeOfDayProblem(text: string, endOfDay: boolean): string | undefined {
  if (minutesOfDay(text, endOfDay) !== undefined) return undefined;
  const range = endOfDay ? "00:00 to 24:00, such as '02:00'" : "00:00 to 23:59, such as '22:00'";
  return `expected a time of day as HH:MM, ${range}; got "${text}"`;
}

export function timeZoneProblem(timeZone: string): string | undefined {
  return isTimeZone(timeZone)
    ? undefined
    : `expected an IANA time zone such as Europe/Oslo or America/New_York, got "${timeZone}"`;
}

/**
 * Everything that keeps a set of windows from working: malformed times, unknown zones, empty windows,
 * freezes that end before they begin, and windows and freezes that leave no start allowed.
 */
export function locateWindowProblems(windows: RotationWindows): WindowProblem[] {
  const allowedProblems =
    windows.allowed?.length === 0
      ? [{ path: ['allowed'], message: NO_WINDOWS }]
      : (windows.allowed ?? []).flatMap((window, index) =>
          within(['allowed', index], allowedWindowProblems(window)),
        );
  const freezeProblems = windows.freezes.flatMap((freeze, index) =>
    within(['freezes', index], freezeProblemsOf(freeze)),
  );
  // Windows that do not read cannot be asked when they open.
  if (allowedProblems.length > 0) return [...allowedProblems, ...freezeProblems];
  return [...freezeProblems, ...neverOpenProblems(windows)];
}

/** The problems as lines for `rotor validate`, each led by where it is (`allowed[1].to: …`). */
export function windowProblems(windows: RotationWindows): string[] {
  return locateWindowProblems(windows).map(({ path, message }) => `${pathText(path)}: ${message}`);
}

/** What is wrong with one allowed window, at paths within it. */
export function allowedWindowProblems(window: AllowedWindow): WindowProblem[] {
  const at = (field: keyof AllowedWindow, message: string | undefined) =>
    message === undefined ? [] : [{ path: [field], message }];
  const badTimes = [
    ...at('from', timeOfDayProblem(window.from, false)),
    ...at('to', timeOfDayProblem(window.to, true)),
  ];
  return [
    ...at('days', window.days.length === 0 ? NO_DAYS : undefined),
    ...badTimes,
    ...at(
      'to',
      badTimes.length === 0 && window.from === window.to
        ? `is the same as from (${window.from}), so this window is empty: for the whole day write from: '00:00' and to: '24:00'; to run past midnight, write a to earlier than from`
        : undefined,
    ),
    ...at('timeZone', timeZoneProblem(window.timeZone)),
  ];
}

/** What is wrong with one freeze on its own, at paths within it. */
export function freezeProblemsOf(freeze: Freeze): WindowProblem[] {
  if (freezeInOrder(freeze)) return [];
  return [
    {
      path: ['to'],
      message: `ends at ${iso(freeze.toMs)}, not after it begins (${iso(freeze.fromMs)}): write a to later than from`,
    },
  ];
}

const NO_WINDOWS =
  "lists no windows, so no rotation could start: add one such as { days: [sat, sun], from: '01:00', to: '05:00' }, or leave out allowed to allow any time";
const NO_DAYS =
  'lists no days, so this window never opens: list days such as [mon, tue, wed], or leave out days for every day';

function within(base: readonly (string | number)[], problems: readonly WindowProblem[]): WindowProblem[] {
  return problems.map((problem) => ({ path: [...base, ...problem.path], message: problem.message }));
}

function pathText(path: WindowProblem['path']): string {
  return path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`))
    .join('')
    .slice(1);
}

function neverOpenProblems(windows: RotationWindows): WindowProblem[] {
  if (nextAllowedStart(ANY_INSTANT_MS, { ...windows, freezes: [] }) === undefined)
    return [{ path: ['allowed'], message: 'these windows never open: widen them or list more days' }];
  return windows.freezes.flatMap((freeze, index) =>
    freezeInOrder(freeze) && nextAllowedStart(freeze.fromMs, windows) === undefined
      ? [
          {
            path: ['freezes', index],
            message: `leaves no rotation a start within 3 years after it begins (${iso(freeze.fromMs)}): end it sooner`,
          },
        ]
      : [],
  );
}

function freezeInOrder(freeze: Freeze): boolean {
  return Number.isFinite(freeze.fromMs) && Number.isFinite(freeze.toMs) && freeze.toMs > freeze.fromMs;
}

function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
