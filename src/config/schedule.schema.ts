import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { durationSchema } from '../domain/duration-schema.js';
import { isTimeZone } from '../domain/zoned-time.js';

const MIN_EVERY_MS = 1000;
const CRON_GAP_SAMPLES = 8;

// A fleet repeats a few patterns many times; parsing each once keeps large configs quick to load.
const checkedCrons = new Map<string, string | undefined>();
const CHECKED_CRONS_MAX = 10_000;

/** Why a cron expression is unusable, or undefined when it is fine. */
export function cronProblem(pattern: string, tz: string): string | undefined {
  const key = `${tz} ${pattern}`;
  if (checkedCrons.has(key)) return checkedCrons.get(key);
  const problem = findCronProblem(pattern, tz);
  if (checkedCrons.size >= CHECKED_CRONS_MAX) checkedCrons.clear();
  checkedCrons.set(key, problem);
  return problem;
}

function findCronProblem(pattern: string, tz: string): string | undefined {
  const fields = pattern.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6)
    return `expected a cron expression with 5 fields (or 6 with seconds), got ${fields}`;
  try {
    CronExpressionParser.parse(pattern, { tz });
    return undefined;
  } catch (error) {
    return `expected a valid cron expression: ${error instanceof Error ? error.message : 'unreadable'}`;
  }
}

/** The shortest gap between the next fire times of a cron schedule, from `fromMs`. */
export function shortestCronGapMs(pattern: string, tz: string, fromMs: number): number {
  const expression = CronExpressionParser.parse(pattern, { tz, currentDate: new Date(fromMs) });
  let previous = expression.next().getTime();
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < CRON_GAP_SAMPLES; i++) {
    const next = expression.next().getTime();
    shortest = Math.min(shortest, next - previous);
    previous = next;
  }
  return shortest;
}

const kinds = ['cron', 'every', 'beforeExpiry', 'manualOnly'] as const;

export const scheduleSchema = z
  .strictObject({
    /** Cron expression (5 fields, or 6 with seconds) in `tz`. */
    cron: z.string().optional(),
    /** IANA time zone of `cron`; UTC by default. */
    tz: z.string().optional(),
    every: durationSchema.optional(),
    /** Rotate this long before the current credential expires. */
    beforeExpiry: durationSchema.optional(),
    /** Never on a schedule: only `rotor rotate` and the API. */
    manualOnly: z.literal(true).optional(),
    /** Start each scheduled rotation this much later at most: a fixed offset per policy, spread by its id. */
    jitter: durationSchema.default(0),
    /** Keep the policy but run nothing until unpaused. */
    paused: z.boolean().default(false),
  })
  .superRefine((schedule, ctx) => {
    const given = kinds.filter((kind) => schedule[kind] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? 'expected one of cron, every, beforeExpiry or manualOnly'
            : `expected exactly one of cron, every, beforeExpiry or manualOnly, got ${given.join(' and ')}`,
      });
      return;
    }
    if (schedule.tz !== undefined) {
      if (schedule.cron === undefined)
        ctx.addIssue({ code: 'custom', path: ['tz'], message: 'tz applies to cron schedules only' });
      else if (!isTimeZone(schedule.tz)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tz'],
          message: `expected an IANA time zone such as Europe/Oslo, got "${schedule.tz}"`,
        });
        return;
      }
    }
    if (schedule.cron !== undefined) {
      const problem = cronProblem(schedule.cron, schedule.tz ?? 'UTC');
      if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
    }
    if (schedule.every !== undefined && schedule.every < MIN_EVERY_MS) {
      ctx.addIssue({ code: 'custom', path: ['every'], message: 'expected at least 1s' });
    }
  });
export type ScheduleInput = z.infer<typeof scheduleSchema>;
