import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { rollbackRunId } from '../domain/ids.js';
import type { PolicyRecord } from '../domain/policy-record.js';
import { rollbackRefusal } from '../engine/rollback-refusal.js';
import { BACKOFF_TYPE } from './failure-policy.js';
import { JOB, type RollbackPayload, revokeJobIdFor } from './job-payloads.js';

export interface RollbackRequestOptions {
  readonly nowMs: number;
  readonly reason?: string;
  readonly requestedBy?: string;
  readonly apiTokenName?: string;
  /** Revoke the rolled-back credential at once, not after the policy's grace period. */
  readonly revokeNow?: boolean;
}

export type RequestedRollback =
  | {
      readonly kind: 'requested';
      /** The rollback job that will run: the one just added, or the one already pending for the policy. */
      readonly jobId: string;
      readonly joined: boolean;
      /** The version it takes AWSCURRENT from, and the one it restores. */
      readonly fromVersionId: string;
      readonly toVersionId: string;
    }
  | { readonly kind: 'refused'; readonly reason: string };

/**
 * Asks the daemon to roll a policy back, or says at once why it cannot be (from the config, rotor's record and
 * the previous credential's revoke job; the job checks AWS and the vendor before it acts). One rollback per
 * policy at a time: a request while one is pending joins it.
 */
export async function requestRollback(
  queue: Queue,
  policy: PolicyConfig,
  record: PolicyRecord,
  options: RollbackRequestOptions,
): Promise<RequestedRollback> {
  if (record.revision === 0 && policy.capability === 'overlap') {
    return {
      kind: 'refused',
      reason: `policy ${policy.id}: rotor holds no record of it (it never rotated, or Redis lost the record and the daemon has not rebuilt it from AWS yet)`,
    };
  }
  const refusal = rollbackRefusal(policy, record, options.nowMs);
  if (refusal) return { kind: 'refused', reason: refusal };
  const { current, previous } = record;
  if (!current || !previous) throw new Error('rollbackRefusal let a record without two versions pass');
  if ((await queue.getJobState(revokeJobIdFor(policy.id, previous.versionId))) === 'completed') {
    return {
      kind: 'refused',
      reason: `policy ${policy.id}: the previous credential (version ${previous.versionId}) was revoked after its grace period`,
    };
  }
  const runId = rollbackRunId(policy.id, options.nowMs);
  const payload: RollbackPayload = {
    policyId: policy.id,
    runId,
    fromVersionId: current.versionId,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(options.requestedBy === undefined ? {} : { requestedBy: options.requestedBy }),
    ...(options.apiTokenName === undefined ? {} : { apiTokenName: options.apiTokenName }),
    ...(options.revokeNow === true ? { revokeNow: true as const } : {}),
  };
  const job = await queue.add(JOB.rollback, payload, {
    jobId: runId,
    deduplication: { id: `rollback-${policy.id}` },
    attempts: policy.retry.attempts,
    backoff: { type: BACKOFF_TYPE, delay: policy.retry.backoffMs },
    stackTraceLimit: 0,
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 1000 },
  });
  const jobId = job.id ?? runId;
  return {
    kind: 'requested',
    jobId,
    joined: jobId !== runId,
    fromVersionId: current.versionId,
    toVersionId: previous.versionId,
  };
}
