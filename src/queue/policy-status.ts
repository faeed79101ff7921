import type { Job, Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import type { ConsumersView } from '../consumers/consumer-view.js';
import { jitterOffsetMs } from '../domain/jitter-offset.js';
import type { PolicyRecord, StartDeferral } from '../domain/policy-record.js';
import { readJob, readJobsIn, SkippedJobs } from './corrupt-jobs.js';
import { dueTimeOf, firesAtOf } from './jittered-firing.js';
import { expiryJobIdFor, JOB, schedulerIdFor } from './job-payloads.js';
import { deferralOf, plannedStart, windowOverrideOf } from './rotation-start.js';

export type PolicyState = 'idle' | 'scheduled' | 'running' | 'failed' | 'paused' | 'needs-attention';

/** What `rotor status` and the HTTP API show of a policy: ids, times and sanitised errors, never values. */
export interface PolicyStatus {
  readonly policyId: string;
  readonly state: PolicyState;
  readonly lastSuccessAt: number | undefined;
  readonly lastAttemptAt: number | undefined;
  readonly lastError: { readonly kind: string; readonly message: string; readonly at: number } | undefined;
  /** When the next run is due; when the policy's windows defer it, when they let it start. */
  readonly nextRunAt: number | undefined;
  /** Why the next run starts later than due: closed windows or a freeze, and until when. */
  readonly nextRunDeferred: StartDeferral | undefined;
  readonly currentVersionId: string | undefined;
  readonly expiresAt: number | undefined;
  readonly consecutiveFailures: number;
  /** Since when scheduled runs are skipped (failed runs in a row reached the limit); cleared by a success. */
  readonly needsAttentionSince: number | undefined;
  /**
   * The latest rollback, until the next rotation: the version it took out of use (`versionId`), its run id and
   * when. The current version is the one it restored.
   */
  readonly rolledBack: PolicyRecord['rolledBack'];
  /** The policy's consumers against the current version; absent when it has none (see `withConsumers`). */
  readonly consumers?: ConsumersView;
}

/** A policy's rotation job: running, or waiting (queued, delayed or prioritized; deferred by its windows). */
export interface PendingRotation {
  readonly state: 'active' | 'waiting';
  readonly deferral?: StartDeferral;
}

/** A waiting rotation job as status shows it: with its deferral when its policy's windows hold it back. */
function waitingRotation(job: Job): PendingRotation {
  const deferral = deferralOf(job);
  return deferral === undefined ? { state: 'waiting' } : { state: 'waiting', deferral };
}

/**
 * Which policies have a rotation job pending or running, read once for any number of policies (a status
 * of every policy must not list the queue once per policy).
 */
export type PendingRotations = ReadonlyMap<string, PendingRotation>;

const WAITING_STATES = ['waiting', 'delayed', 'prioritized'] as const;

/** The policy a rotation job is for; undefined for other jobs. */
function rotationPolicyOf(job: Job | undefined): string | undefined {
  const policyId = (job?.data as { policyId?: unknown } | undefined)?.policyId;
  return job?.name === JOB.rotate && typeof policyId === 'string' ? policyId : undefined;
}

/** Every policy's pending or running rotation, from one listing of the queue; corrupt jobs go to `skipped`. */
export async function pendingRotations(queue: Queue, skipped: SkippedJobs): Promise<PendingRotations> {
  const [active, waiting] = await Promise.all([
    readJobsIn(queue, ['active'], skipped),
    readJobsIn(queue, WAITING_STATES, skipped),
  ]);
  const pending = new Map<string, PendingRotation>();
  for (const job of waiting) {
    const policyId = rotationPolicyOf(job);
    if (policyId !== undefined) pending.set(policyId, waitingRotation(job));
  }
  for (const job of active) {
    const policyId = rotationPolicyOf(job);
    if (policyId !== undefined) pending.set(policyId, { state: 'active' });
  }
  return pending;
}

/**
 * One policy's pending or running rotation, read by id, not by listing the queue. Every rotation rotor adds is
 * deduplicated by policy id, so BullMQ's deduplication key names the policy's job while it is pending or
 * running (its id carries the run's time, so it cannot be derived). A rotation job added by hand without
 * deduplication is found once it runs: its id is then the record's in-flight owner.
 */
export async function pendingRotationOf(
  queue: Queue,
  policy: PolicyConfig,
  record: PolicyRecord,
  skipped: SkippedJobs,
): Promise<PendingRotation | undefined> {
  const ids = new Set([await queue.getDeduplicationJobId(policy.id), record.inFlight?.owner]);
  let pending: PendingRotation | undefined;
  for (const id of ids) {
    if (!id) continue;
    const job = await readJob(queue, id, skipped);
    if (job === undefined || rotationPolicyOf(job) !== policy.id) continue;
    const state = await job.getState();
    if (state === 'active') return { state: 'active' };
    if (WAITING_STATES.some((waiting) => waiting === state)) pending = waitingRotation(job);
  }
  return pending;
}

/**
 * When the policy's next run is due: from its Job Scheduler, or its before-expiry timer (a timer whose hash
 * does not parse goes to `skipped`, and no run is due).
 */
export async function nextRunAt(
  queue: Queue,
  policy: PolicyConfig,
  skipped = new SkippedJobs(),
): Promise<number | undefined> {
  if (policy.schedule.kind === 'beforeExpiry') {
    const timer = await readJob(queue, expiryJobIdFor(policy.id), skipped);
    return timer ? dueTimeOf(firesAtOf(timer), timer.data) : undefined;
  }
  const scheduler = await queue.getJobScheduler(schedulerIdFor(policy.id));
  return scheduler?.next === undefined ? undefined : dueTimeOf(scheduler.next, scheduler.template?.data);
}

/**
 * One policy's status, read by ids: its scheduler or timer, and its own rotation job (for many policies, use
 * `fleetStatuses`). Corrupt jobs met on the way go to `skipped`.
 */
export async function policyStatus(
  queue: Queue,
  policy: PolicyConfig,
  record: PolicyRecord,
  skipped = new SkippedJobs(),
): Promise<PolicyStatus> {
  const [next, job] = await Promise.all([
    policy.paused ? undefined : nextRunAt(queue, policy, skipped),
    pendingRotationOf(queue, policy, record, skipped),
  ]);
  return statusOf(policy, record, next, job);
}

/** The next run as status shows it: when it starts if its windows defer it, else when it is due. */
export interface NextRun {
  readonly atMs: number;
  readonly deferral?: StartDeferral;
}

/**
 * The policy's next run, from its trigger's next due time and the rotation waiting for its windows, if any
 * (that one starts first: later triggers join it). A before-expiry run that the windows would hold past the
 * credential's expiry (`expiresAtMs`) starts when due: it will override them.
 */
export function nextRunOf(
  policy: PolicyConfig,
  dueMs: number | undefined,
  pending: PendingRotation | undefined,
  expiresAtMs: number | undefined,
): NextRun | undefined {
  if (pending?.deferral) return { atMs: pending.deferral.startsAt, deferral: pending.deferral };
  if (dueMs === undefined) return undefined;
  const askedMs = dueMs + jitterOffsetMs(policy);
  const { deferral } = plannedStart(policy, askedMs);
  if (deferral === undefined) return { atMs: dueMs };
  const overrides =
    policy.schedule.kind === 'beforeExpiry' && windowOverrideOf(policy, askedMs, expiresAtMs) !== undefined;
  return overrides ? { atMs: dueMs } : { atMs: deferral.startsAt, deferral };
}

/** A policy's status from what was read of it. */
export function statusOf(
  policy: PolicyConfig,
  record: PolicyRecord,
  dueMs: number | undefined,
  job: PendingRotation | undefined,
): PolicyStatus {
  const next = policy.paused ? undefined : nextRunOf(policy, dueMs, job, record.current?.expiresAt);
  const failedLast =
    record.lastError !== undefined &&
    record.consecutiveFailures > 0 &&
    (record.lastSuccessAt ?? 0) < record.lastError.at;
  let state: PolicyState;
  if (job?.state === 'active') state = 'running';
  else if (policy.paused) state = 'paused';
  else if (record.needsAttentionSince !== undefined) state = 'needs-attention';
  else if (failedLast) state = 'failed';
  else if (job !== undefined || next !== undefined) state = 'scheduled';
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
    nextRunAt: next?.atMs,
    nextRunDeferred: next?.deferral,
    currentVersionId: record.current?.versionId,
    expiresAt: record.current?.expiresAt,
    consecutiveFailures: record.consecutiveFailures,
    needsAttentionSince: record.needsAttentionSince,
    rolledBack: record.rolledBack,
  };
}
