import type { Job, RepeatOptions, RepeatStrategy } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { jitterOffsetMs } from '../domain/jitter-offset.js';
import { CronOccurrences } from './cron-occurrences.js';

/**
 * A cron scheduler's repeat options, with how long after each due time its trigger fires. BullMQ keeps
 * unknown repeat options on each job it schedules and hands them back to the repeat strategy, which is how
 * the offset reaches `firingRepeatStrategy` on every iteration (BullMQ's own `offset` is `every`-only).
 */
export type FiringRepeatOptions = Omit<RepeatOptions, 'key'> & { readonly firesAfterDueMs?: number };

/**
 * How long after its due time a policy's trigger fires: its jitter offset for cron schedules and
 * before-expiry timers, so that when thousands of policies fall due at once their triggers arrive spread
 * over the window as their rotations start, not as one burst at the due time. `every` schedules fire at the
 * due time (BullMQ's script places their runs) and their trigger delays the rotation by the offset instead.
 */
export function firesAfterDueMs(policy: Pick<PolicyConfig, 'id' | 'jitterMs' | 'schedule'>): number {
  return policy.schedule.kind === 'every' ? 0 : jitterOffsetMs(policy);
}

/** Shared by every queue and worker in the process: schedulers sharing a pattern share its next occurrence. */
const occurrences = new CronOccurrences();

/**
 * The repeat strategy of rotor's queue and worker: a scheduler fires at each cron occurrence plus its firing
 * offset, and this returns the first such firing after `millis` (without an offset, BullMQ's default). A
 * scheduler created inside a due time's window still fires for that due time if its firing is ahead.
 */
export const firingRepeatStrategy: RepeatStrategy = (millis, opts) => {
  const offsetMs = (opts as FiringRepeatOptions).firesAfterDueMs ?? 0;
  if (offsetMs <= 0) return occurrences.next(millis, opts);
  const due = occurrences.next(millis - offsetMs, opts);
  return due === undefined ? undefined : due + offsetMs;
};

/**
 * A trigger's due time, from when it fired and its data (a scheduler's template or a timer's payload), which
 * says how long after the due time it fired; triggers without that fired at the due time.
 */
export function dueTimeOf(firedAtMs: number, data: unknown): number {
  const offsetMs = (data as { firesAfterDueMs?: unknown } | undefined)?.firesAfterDueMs;
  return typeof offsetMs === 'number' && Number.isFinite(offsetMs) ? firedAtMs - offsetMs : firedAtMs;
}

/** When a trigger job fires: a scheduler's as BullMQ placed it, a timer's at its timestamp plus delay. */
export function firesAtOf(job: Pick<Job, 'timestamp' | 'opts'>): number {
  return job.opts.prevMillis ?? job.timestamp + (job.opts.delay ?? 0);
}
