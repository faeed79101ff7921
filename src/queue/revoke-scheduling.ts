import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { BACKOFF_TYPE } from './failure-policy.js';
import { JOB, type RevokePayload, revokeJobIdFor } from './job-payloads.js';

/**
 * Adds the delayed job that revokes a displaced credential once its grace period is over. The job id is
 * stable per displaced version, so a re-delivered rotation cannot schedule a second revoke.
 */
export async function scheduleRevoke(
  queue: Queue,
  policy: PolicyConfig,
  revoke: { readonly handle: string; readonly versionId: string; readonly dueAt: number },
  nowMs: number,
): Promise<void> {
  const payload: RevokePayload = {
    policyId: policy.id,
    handle: revoke.handle,
    versionId: revoke.versionId,
    displacedAt: nowMs,
  };
  await queue.add(JOB.revoke, payload, {
    jobId: revokeJobIdFor(policy.id, revoke.versionId),
    // With the timestamp given, the job is due exactly at dueAt.
    timestamp: nowMs,
    delay: Math.max(revoke.dueAt - nowMs, 0),
    attempts: policy.retry.attempts,
    backoff: { type: BACKOFF_TYPE, delay: policy.retry.backoffMs },
    stackTraceLimit: 0,
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 1000 },
  });
}
