import type { Logger } from '../lib/logger.js';
import { isConnectionError, type RedisReachability } from './redis-reachability.js';

/**
 * BullMQ's word for a worker that finished a job whose lock it no longer held: it stalled past the lock and
 * another worker took the job over, or Redis lost the lock (a flush, a failover). The job's outcome is
 * then the other worker's, and the run's fence kept the two from both acting, so it is worth a warning,
 * not an error.
 */
const LOST_LOCK = /^Missing lock for job /;

/**
 * What a BullMQ worker emits as 'error', told apart: Redis out of reach (reported once by reachability), a
 * lock this worker lost (a warning saying why that is safe), anything else (an error).
 */
export function reportWorkerErrors(
  worker: { on(event: 'error', listener: (error: Error) => void): unknown },
  what: string,
  deps: { readonly log: Logger; readonly reachability: Pick<RedisReachability, 'failed'> },
): void {
  worker.on('error', (error) => {
    if (isConnectionError(error)) deps.reachability.failed(error);
    else if (LOST_LOCK.test(error.message)) {
      deps.log.warn(
        { worker: what, reason: error.message },
        'a job finished after its lock was lost (the worker stalled past the lock, or Redis lost it); another worker owns its outcome, and the run’s fence kept them from both acting',
      );
    } else deps.log.error({ err: error, worker: what }, `${what} error`);
  });
}
