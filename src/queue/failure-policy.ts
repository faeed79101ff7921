import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { isRotationError, RotationError } from '../domain/errors.js';

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

/** What the scheduler does about a failure, by its kind (the single mapping from kinds to BullMQ outcomes). */
export function outcomeFor(error: RotationError, nowMs: number): FailureOutcome {
  switch (error.kind) {
    case 'rate-limited':
      return error.details.retryAfterMs === undefined
        ? { kind: 'retry' }
        : { kind: 'delay', untilMs: nowMs + error.details.retryAfterMs };
    case 'transient':
      return { kind: 'retry' };
    case 'auth':
    case 'invalid-config':
    case 'protocol':
    case 'not-found':
      return { kind: 'stop', reason: error.message };
  }
}

export function asRotationError(error: unknown): RotationError {
  if (isRotationError(error)) return error;
  return new RotationError('protocol', 'unexpected failure inside rotor (see the daemon log)');
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
): Promise<never> {
  const outcome = outcomeFor(error, nowMs);
  if (outcome.kind === 'delay') {
    await job.moveToDelayed(outcome.untilMs, token);
    throw new DelayedError(error.message);
  }
  if (outcome.kind === 'stop') throw new UnrecoverableError(outcome.reason);
  throw new Error(error.message);
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
