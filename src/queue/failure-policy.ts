import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { isRotationError, RotationError } from '../domain/errors.js';
import type { Redactor } from '../domain/secret-redactor.js';

export interface RetrySettings {
  readonly attempts: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

/** The name of rotor's backoff strategy in job options (`backoff: { type, delay }`). */
export const BACKOFF_TYPE = 'rotor-exponential-jitter';

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries of many
 * policies after a shared outage spread out instead of arriving together.
 */
export function backoffDelay(
  attemptsMade: number,
  settings: Pick<RetrySettings, 'backoffMs' | 'maxBackoffMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(attemptsMade - 1, 0);
  const ceiling = Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** Math.min(exponent, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export type FailureOutcome =
  | { readonly kind: 'delay'; readonly untilMs: number }
  | { readonly kind: 'retry' }
  | { readonly kind: 'stop'; readonly reason: string };

/**
 * What the scheduler does about a failure, by its kind (the single mapping from kinds to BullMQ outcomes).
 * Throttling never spends an attempt: the job waits the vendor's Retry-After, or `throttleBackoffMs` when
 * the vendor named no time. Nor does waiting for another job's run of the same policy (`busy`): that job
 * is working, so this one waits `throttleBackoffMs` and looks again.
 */
export function outcomeFor(error: RotationError, nowMs: number, throttleBackoffMs = 0): FailureOutcome {
  switch (error.kind) {
    case 'rate-limited':
      return { kind: 'delay', untilMs: nowMs + (error.details.retryAfterMs ?? throttleBackoffMs) };
    case 'busy':
      return { kind: 'delay', untilMs: nowMs + throttleBackoffMs };
    case 'transient':
      return { kind: 'retry' };
    case 'auth':
    case 'invalid-config':
    case 'protocol':
    case 'not-found':
      return { kind: 'stop', reason: error.message };
  }
}

/** The failure as a RotationError, redacted when a redactor is given: what a job stores, alerts and logs. */
export function asRotationError(error: unknown, redactor?: Redactor): RotationError {
  const failure = isRotationError(error)
    ? error
    : new RotationError('protocol', 'unexpected failure inside rotor (see the daemon log)');
  return redactor === undefined ? failure : failure.redacted(redactor);
}

/**
 * The wait after a throttling answer without Retry-After: the policy's backoff, growing with the throttles
 * this job met in a row (BullMQ counts a delayed attempt as started but not made).
 */
export function throttleBackoff(
  job: Pick<Job, 'attemptsStarted' | 'attemptsMade'>,
  settings: Pick<RetrySettings, 'backoffMs' | 'maxBackoffMs'>,
): number {
  return backoffDelay(Math.max(job.attemptsStarted - job.attemptsMade, 1), settings);
}

/**
 * Applies the outcome to the BullMQ job: throws DelayedError after moving the job (no attempt spent),
 * UnrecoverableError to stop, or the error itself to retry with the job's backoff. Never returns.
 */
export async function applyFailure(
  job: Job,
  token: string | undefined,
  error: RotationError,
  nowMs: number,
  throttleBackoffMs: number,
): Promise<never> {
  const outcome = outcomeFor(error, nowMs, throttleBackoffMs);
  if (outcome.kind === 'delay') return delayJob(job, token, outcome.untilMs, error.message);
  if (outcome.kind === 'stop') throw new UnrecoverableError(outcome.reason);
  throw new Error(error.message);
}

/** Moves the running job back to delayed until `untilMs` without spending an attempt (BullMQ's DelayedError). */
export async function delayJob(
  job: Job,
  token: string | undefined,
  untilMs: number,
  reason: string,
): Promise<never> {
  await job.moveToDelayed(untilMs, token);
  throw new DelayedError(reason);
}

/** Whether this failure ends the job: it stops, or it was the last attempt. */
export function isFinalFailure(
  error: RotationError,
  attemptsMade: number,
  attempts: number,
  nowMs: number,
): boolean {
  const outcome = outcomeFor(error, nowMs);
  if (outcome.kind === 'delay') return false;
  return outcome.kind === 'stop' || attemptsMade + 1 >= attempts;
}
