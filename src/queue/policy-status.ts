import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import type { PolicyRecord } from '../state/policy-record.js';
import { expiryJobIdFor, JOB, schedulerIdFor } from './job-payloads.js';

export type PolicyState = 'idle' | 'scheduled' | 'running' | 'failed' | 'paused' | 'needs-attention';

/** What `rotor status` and the HTTP API show of a policy: ids, times and sanitised errors, never values. */
export interface PolicyStatus {
  readonly policyId: string;
  readonly state: PolicyState;
  readonly lastSuccessAt: number | undefined;
  readonly lastAttemptAt: number | undefined;
  readonly lastError: { readonly kind: string; readonly message: string; readonly at: number } | undefined;
  readonly nextRunAt: number | undefined;
  readonly currentVersionId: string | undefined;
  readonly expiresAt: number | undefined;
  readonly consecutiveFailures: number;
  /** Since when scheduled runs are skipped (failed runs in a row reached the limit); cleared by a success. */
  readonly needsAttentionSince: number | undefined;
}

async function rotationJobState(queue: Queue, policyId: string): Promise<'active' | 'waiting' | undefined> {
  const jobs = await queue.getJobs(['active', 'waiting', 'delayed', 'prioritized'], 0, -1);
  const mine = jobs.filter(
    (job) => job.name === JOB.rotate && (job.data as { policyId?: unknown }).policyId === policyId,
  );
  if (mine.length === 0) return undefined;
  const states = await Promise.all(mine.map((job) => job.getState()));
  return states.includes('active') ? 'active' : 'waiting';
}

/** When the policy runs next: its Job Scheduler, or its before-expiry timer. */
export async function nextRunAt(queue: Queue, policy: PolicyConfig): Promise<number | undefined> {
  if (policy.schedule.kind === 'beforeExpiry') {
    const timer = await queue.getJob(expiryJobIdFor(policy.id));
    return timer ? timer.timestamp + (timer.opts.delay ?? 0) : undefined;
  }
  return (await queue.getJobScheduler(schedulerIdFor(policy.id)))?.next;
}

export async function policyStatus(
  queue: Queue,
  policy: PolicyConfig,
  record: PolicyRecord,
): Promise<PolicyStatus> {
  const job = await rotationJobState(queue, policy.id);
  const next = policy.paused ? undefined : await nextRunAt(queue, policy);
  const failedLast =
    record.lastError !== undefined &&
    record.consecutiveFailures > 0 &&
    (record.lastSuccessAt ?? 0) < record.lastError.at;
  let state: PolicyState;
  if (job === 'active') state = 'running';
  else if (policy.paused) state = 'paused';
  else if (record.needsAttentionSince !== undefined) state = 'needs-attention';
  else if (failedLast) state = 'failed';
  else if (job === 'waiting' || next !== undefined) state = 'scheduled';
  else state = 'idle';
  return {
    policyId: policy.id,
    state,
    lastSuccessAt: record.lastSuccessAt,
    lastAttemptAt: record.lastAttemptAt,
    lastError: record.lastError && {
      kind: record.lastError.kind,
      message: record.lastError.message,
      at: record.lastError.at,
    },
    nextRunAt: next,
    currentVersionId: record.current?.versionId,
    expiresAt: record.current?.expiresAt,
    consecutiveFailures: record.consecutiveFailures,
    needsAttentionSince: record.needsAttentionSince,
  };
}
