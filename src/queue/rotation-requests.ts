import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { manualRunId, scheduledRunId } from '../domain/ids.js';
import type { Trigger } from '../domain/policy-record.js';
import { BACKOFF_TYPE } from './failure-policy.js';
import { JOB, type RotatePayload } from './job-payloads.js';

export interface RotationRequestOptions {
  /** When the run was due (scheduled and expiry runs); names the run. */
  readonly dueMs?: number;
  /**
   * Delay before the rotation starts (jitter), counted from `dueMs` when given: a trigger handled late does
   * not push its run's window later.
   */
  readonly delayMs?: number;
  readonly nowMs: number;
  readonly reason?: string;
  readonly requestedBy?: string;
  /** The name (or fingerprint) of the API token an HTTP request came with. */
  readonly apiTokenName?: string;
  /** BullMQ priority: a scheduled run's (`scheduledPriority`); absent, the run goes before every prioritized job. */
  readonly priority?: number;
}

export interface RequestedRotation {
  /** The rotation job that will run: the one just added, or the one already pending or running for the policy. */
  readonly jobId: string;
  /** True when the policy already had a rotation pending or running, and this request joined it. */
  readonly joined: boolean;
}

/**
 * Adds the real rotation job. Deduplicated by policy id, so a policy never rotates twice at once: a request
 * while one is pending or running is answered with that job.
 */
export async function requestRotation(
  queue: Queue,
  policy: PolicyConfig,
  trigger: Trigger,
  options: RotationRequestOptions,
): Promise<RequestedRotation> {
  const runId =
    trigger === 'manual' || trigger === 'initial' || options.dueMs === undefined
      ? manualRunId(policy.id, options.nowMs)
      : scheduledRunId(policy.id, options.dueMs);
  const payload: RotatePayload = {
    policyId: policy.id,
    runId,
    trigger,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(options.requestedBy === undefined ? {} : { requestedBy: options.requestedBy }),
    ...(options.apiTokenName === undefined ? {} : { apiTokenName: options.apiTokenName }),
  };
  const startsAtMs = (options.dueMs ?? options.nowMs) + (options.delayMs ?? 0);
  const job = await queue.add(JOB.rotate, payload, {
    jobId: runId,
    deduplication: { id: policy.id },
    attempts: policy.retry.attempts,
    backoff: { type: BACKOFF_TYPE, delay: policy.retry.backoffMs },
    // BullMQ starts a delayed job at timestamp + delay. A start already past (a trigger that fired at it, or
    // late) queues the job at once, without a detour through the delayed set.
    ...(options.delayMs && startsAtMs > options.nowMs
      ? { delay: options.delayMs, timestamp: options.dueMs ?? options.nowMs }
      : {}),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    // Failure reasons are sanitised messages; stack traces add nothing an operator needs.
    stackTraceLimit: 0,
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 1000 },
  });
  const jobId = job.id ?? runId;
  return { jobId, joined: jobId !== runId };
}
