import { CronExpressionParser } from 'cron-parser';
import type { Schedule } from '../config/rotor-config.js';

/**
 * The next `count` run times of a schedule from `fromMs`: cron in its time zone; `every` one interval
 * apart, the first one interval from now (as a new scheduler fires); none for before-expiry and manual
 * schedules, whose runs depend on the credential or on a request.
 */
export function nextRuns(schedule: Schedule, fromMs: number, count: number): number[] {
  switch (schedule.kind) {
    case 'cron': {
      const expression = CronExpressionParser.parse(schedule.pattern, {
        tz: schedule.tz,
        currentDate: new Date(fromMs),
      });
      return Array.from({ length: count }, () => expression.next().getTime());
    }
    case 'every':
      return Array.from({ length: count }, (_, index) => fromMs + schedule.everyMs * (index + 1));
    case 'beforeExpiry':
    case 'manual':
      return [];
  }
}

/** A time as the schedule's reader thinks of it: in the cron's time zone, UTC otherwise. */
export function formatInZone(epochMs: number, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(epochMs));
  const part = (type: string) => parts.find((candidate) => candidate.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${tz}`;
}
