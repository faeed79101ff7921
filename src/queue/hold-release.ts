import type { PolicyConfig } from '../config/rotor-config.js';
import type { Logger } from '../lib/logger.js';
import type { ProcessorDeps } from './processor-deps.js';
import { requestRotation } from './rotation-requests.js';
import { scheduledPriority } from './trigger-timing.js';

/**
 * Forgets the hold on a version (revoked, or current again after a rollback); when no version is held any more,
 * the scheduled run that waited for that starts.
 */
export async function releaseHold(
  deps: ProcessorDeps,
  policy: PolicyConfig,
  versionId: string,
  log: Logger,
): Promise<void> {
  const waitingDueMs = await deps.consumers?.release(policy.id, versionId);
  if (waitingDueMs === undefined) return;
  const requested = await requestRotation(deps.queue, policy, 'schedule', {
    dueMs: waitingDueMs,
    delayMs: 0,
    nowMs: deps.clock.now(),
    priority: scheduledPriority(policy),
  });
  log.info({ runId: requested.jobId }, 'no version is held any more: the scheduled run that waited starts');
}
