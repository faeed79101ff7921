import { CronExpressionParser } from 'cron-parser';
import type { PolicyConfig } from '../config/rotor-config.js';
import { jitterOffsetMs } from '../domain/jitter-offset.js';
import { nextStarts, type PlannedStart } from '../domain/planned-starts.js';

/**
 * The first time after `afterMs` a policy's scheduled run asks to start: the schedule's due time plus the
 * policy's jitter offset. `every` schedules count from `fromMs`, as a new scheduler does. Undefined for
 * before-expiry and manual schedules, whose runs depend on the credential or a request.
 */
function nextAskedStartAfter(
  policy: Pick<PolicyConfig, 'id' | 'jitterMs' | 'schedule'>,
  fromMs: number,
): ((afterMs: number) => number | undefined) | undefined {
  const offsetMs = jitterOffsetMs(policy);
  const { schedule } = policy;
  if (schedule.kind === 'cron')
    return (afterMs) =>
      CronExpressionParser.parse(schedule.pattern, {
        tz: schedule.tz,
        currentDate: new Date(afterMs - offsetMs),
      })
        .next()
        .getTime() + offsetMs;
  if (schedule.kind === 'every')
    return (afterMs) => {
      const periods = Math.max(1, Math.floor((afterMs - offsetMs - fromMs) / schedule.everyMs) + 1);
      return fromMs + periods * schedule.everyMs + offsetMs;
    };
  return undefined;
}

/**
 * The policy's next `count` scheduled runs after `fromMs` as its windows and freezes let them start: when
 * each asks to start (due time plus jitter), when it starts, and why it moved. Runs deferred to the same
 * start make one run, as the daemon makes them. Empty for before-expiry and manual schedules.
 */
export function plannedRuns(policy: PolicyConfig, fromMs: number, count: number): PlannedStart[] {
  const nextAfter = nextAskedStartAfter(policy, fromMs);
  if (nextAfter === undefined) return [];
  return nextStarts(fromMs, count, nextAfter, policy.windows ?? { freezes: [] });
}
