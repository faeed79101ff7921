import { z } from 'zod';
import { weekdays } from '../domain/allowed-window.js';
import type { RotationWindows } from '../domain/rotation-windows.js';
import {
  allowedWindowProblems,
  freezeProblemsOf,
  timeZoneProblem,
  type WindowProblem,
} from '../domain/window-problems.js';
import { instantOfWallMs, utcMs } from '../domain/zoned-time.js';

const timeZoneSchema = z
  .string({ error: 'expected an IANA time zone such as Europe/Oslo' })
  .superRefine((timeZone, ctx) => {
    const problem = timeZoneProblem(timeZone);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .default('UTC');

/** Adds a domain check's problems to zod's issues, at their paths. */
function reportProblems(problems: readonly WindowProblem[], ctx: z.RefinementCtx): void {
  for (const problem of problems)
    ctx.addIssue({ code: 'custom', path: [...problem.path], message: problem.message });
}

const timeOfDayTypeError = { error: "expected a time of day as HH:MM, quoted, such as '22:00'" };

// Checked as a whole (so every mistake in it shows at once) by the same rules the schedule math relies on.
const allowedWindowSchema = z
  .strictObject({
    /** Every day when left out. */
    days: z
      .array(z.enum(weekdays, { error: 'expected a day: mon, tue, wed, thu, fri, sat or sun' }))
      .default([...weekdays]),
    from: z.string(timeOfDayTypeError),
    /** Before `from` runs past midnight; `24:00` is midnight. */
    to: z.string(timeOfDayTypeError),
    timeZone: z.string({ error: 'expected an IANA time zone such as Europe/Oslo' }).default('UTC'),
  })
  .superRefine((window, ctx) => reportProblems(allowedWindowProblems(window), ctx));

// Local `2025-12-20T00:00` (seconds optional), or an instant with `Z` or an offset such as `+01:00`.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|([+-])(\d{2}):(\d{2}))?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The instant a freeze's `from` or `to` names: a local reading in `timeZone` (one the clocks skip names the
 * moment they jump; one they repeat, its first occurrence), or an absolute instant; undefined if unreadable.
 */
function instantOfDateTime(text: string, timeZone: string): number | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const field = (index: number) => Number(match[index] ?? 0);
  const wallMs = utcMs(field(1), field(2), field(3), field(4), field(5), field(6));
  const date = new Date(wallMs);
  const exists =
    date.getUTCFullYear() === field(1) &&
    date.getUTCMonth() + 1 === field(2) &&
    date.getUTCDate() === field(3) &&
    date.getUTCHours() === field(4) &&
    date.getUTCMinutes() === field(5) &&
    date.getUTCSeconds() === field(6);
  if (!exists) return undefined;
  if (match[7] === undefined) return instantOfWallMs(wallMs, timeZone);
  if (match[7] === 'Z') return wallMs;
  const offsetMs = (Number(match[9]) * 60 + Number(match[10])) * 60_000;
  return match[8] === '-' ? wallMs + offsetMs : wallMs - offsetMs;
}

function dateTimeProblem(text: string): string {
  return DATE_ONLY.test(text)
    ? `expected a date and time, got only a date: write "${text}T00:00" for the start of that day`
    : `expected a date and time such as 2025-12-20T00:00 (in the freeze's timeZone) or 2025-12-20T00:00Z, got "${text}"`;
}

const freezeSchema = z
  .strictObject({
    /** Local in `timeZone`, or with `Z` or an offset. */
    from: z.string({ error: 'expected a date and time such as 2025-12-20T00:00' }),
    /** The first moment after the freeze (exclusive). */
    to: z.string({ error: 'expected a date and time such as 2026-01-03T00:00' }),
    timeZone: timeZoneSchema,
    /** Shown wherever a run waits for the freeze to end. */
    reason: z.string().min(1).max(200).optional(),
  })
  .transform((freeze, ctx) => {
    const fromMs = instantOfDateTime(freeze.from, freeze.timeZone);
    const toMs = instantOfDateTime(freeze.to, freeze.timeZone);
    if (fromMs === undefined)
      ctx.addIssue({ code: 'custom', path: ['from'], message: dateTimeProblem(freeze.from) });
    if (toMs === undefined)
      ctx.addIssue({ code: 'custom', path: ['to'], message: dateTimeProblem(freeze.to) });
    if (fromMs === undefined || toMs === undefined) return z.NEVER;
    const converted = { fromMs, toMs, ...(freeze.reason === undefined ? {} : { reason: freeze.reason }) };
    reportProblems(freezeProblemsOf(converted), ctx);
    return converted;
  });

/**
 * When rotations may start: `allowed` weekly windows (any time when left out) and `freezes` (no start from
 * `from` until `to`). Each window and freeze is checked here; whether the set ever opens is checked once a
 * policy's windows are known (`windowsOf`), since a policy may override the config's default in part.
 */
export const windowsSchema = z.strictObject({
  allowed: z.array(allowedWindowSchema).optional(),
  freezes: z.array(freezeSchema).optional(),
});
export type WindowsInput = z.infer<typeof windowsSchema>;

/**
 * A policy's windows: its own `allowed` and `freezes` where it gives them, the config's `rotationWindows`
 * where it does not (so `freezes: []` drops the default freezes, and an all-day window lifts the default
 * windows). Undefined when neither restricts anything.
 */
export function windowsOf(
  defaults: WindowsInput | undefined,
  own: WindowsInput | undefined,
): RotationWindows | undefined {
  const allowed = own?.allowed ?? defaults?.allowed;
  const freezes = own?.freezes ?? defaults?.freezes ?? [];
  if (allowed === undefined && freezes.length === 0) return undefined;
  return allowed === undefined ? { freezes } : { allowed, freezes };
}
