import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import type { PolicyRecord } from '../state/policy-record.js';
import { dueTimeOf, firesAtOf } from './jittered-firing.js';
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

/**
 * Which policies have a rotation job pending or running, read once for any number of policies (a status
 * of every policy must not list the queue once per policy).
 */
export type PendingRotations = ReadonlyMap<string, 'active' | 'waiting'>;

export async function pendingRotations(queue: Queue): Promise<PendingRotations> {
  const [active, waiting] = await Promise.all([
    queue.getJobs(['active'], 0, -1),
    queue.getJobs(['waiting', 'delayed', 'prioritized'], 0, -1),
  ]);
  const pending = new Map<string, 'active' | 'waiting'>();
  for (const [jobs, state] of [
    [waiting, 'waiting'],
    [active, 'active'],
  ] as const) {
    for (const job of jobs) {
      const policyId = (job?.data as { policyId?: unknown } | undefined)?.policyId;
      if (job?.name === JOB.rotate && typeof policyId === 'string') pending.set(policyId, state);
    }
  }
  return pending;
}

/** When the policy's next run is due: from its Job Scheduler, or its before-expiry timer. */
export async function nextRunAt(queue: Queue, policy: PolicyConfig): Promise<number | undefined> {
  if (policy.schedule.kind === 'beforeExpiry') {
    const timer = await queue.getJob(expiryJobIdFor(policy.id));
    return timer ? dueTimeOf(firesAtOf(timer), timer.data) : undefined;
  }
  const scheduler = await queue.getJobScheduler(schedulerIdFor(policy.id));
  return scheduler?.next === undefined ? undefined : dueTimeOf(scheduler.next, scheduler.template?.data);
}

/** One policy's status, read from the queue (for many policies, use `statusOf` with a FleetView). */
export async function policyStatus(
  queue: Queue,
  policy: PolicyConfig,
  record: PolicyRecord,
): Promise<PolicyStatus> {
  const next = policy.paused ? undefined : await nextRunAt(queue, policy);
  return statusOf(policy, record, next, (await pendingRotations(queue)).get(policy.id));
}

/** A policy's status from what was read of it. */
export function statusOf(
  policy: PolicyConfig,
  record: PolicyRecord,
  next: number | undefined,
  job: 'active' | 'waiting' | undefined,
): PolicyStatus {
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
