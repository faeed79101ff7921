import type { Job, Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { manualRunId, scheduledRunId } from '../domain/ids.js';
import type { RotationTrigger, StartDeferral, WindowOverride } from '../domain/policy-record.js';
import { indexDelayedRotation } from './delayed-rotations.js';
import { BACKOFF_TYPE } from './failure-policy.js';
import { JOB, type RotatePayload } from './job-payloads.js';
import { deferralOf, plannedStart } from './rotation-start.js';

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
  /**
   * Start as asked even where the policy's windows do not allow it (recorded in the run history); a pending
   * run waiting for the windows is replaced by this one.
   */
  readonly force?: boolean;
  /** Forced while a displaced credential is held for its consumers: recorded as forced whatever the windows say. */
  readonly forcedPastHold?: boolean;
  /** A before-expiry run that must start although the windows do not allow it, and why (replaces a waiting run, as `force`). */
  readonly windowOverride?: WindowOverride;
}

export interface RequestedRotation {
  /** The rotation job that will run: the one just added, or the one already pending or running for the policy. */
  readonly jobId: string;
  /** True when the policy already had a rotation pending or running, and this request joined it. */
  readonly joined: boolean;
  /** When the run waits for the policy's windows: from when to when, and why. */
  readonly deferral?: StartDeferral;
}

/**
 * Adds the real rotation job, starting when the policy's windows and freezes allow (at once when forced).
 * Deduplicated by policy id, so a policy never rotates twice at once: a request while one is pending or
 * running is answered with that job, and runs deferred to the same allowed start make one run.
 */
export async function requestRotation(
  queue: Queue,
  policy: PolicyConfig,
  trigger: RotationTrigger,
  options: RotationRequestOptions,
): Promise<RequestedRotation> {
  const runId =
    trigger === 'manual' || trigger === 'initial' || options.dueMs === undefined
      ? manualRunId(policy.id, options.nowMs)
      : scheduledRunId(policy.id, options.dueMs);
  const askedMs = Math.max((options.dueMs ?? options.nowMs) + (options.delayMs ?? 0), options.nowMs);
  const planned = plannedStart(policy, askedMs);
  // The first rotation of a policy whose secret does not exist yet replaces nothing anyone uses: not windowed.
  const startsAsAsked =
    options.force === true || options.windowOverride !== undefined || trigger === 'initial';
  const startsAtMs = startsAsAsked ? askedMs : planned.atMs;
  const payload: RotatePayload = {
    policyId: policy.id,
    runId,
    trigger,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(options.requestedBy === undefined ? {} : { requestedBy: options.requestedBy }),
    ...(options.apiTokenName === undefined ? {} : { apiTokenName: options.apiTokenName }),
    ...((options.force && planned.deferral) || options.forcedPastHold ? { forced: true as const } : {}),
    ...(options.windowOverride === undefined ? {} : { windowOverride: options.windowOverride }),
    ...(startsAsAsked || planned.deferral === undefined ? {} : { deferred: planned.deferral }),
  };
  const add = () =>
    addRotationJob(queue, policy, payload, {
      timestamp: options.dueMs ?? options.nowMs,
      startsAtMs,
      nowMs: options.nowMs,
      ...(options.priority === undefined ? {} : { priority: options.priority }),
    });
  let jobId = (await add()).id ?? runId;
  if (jobId === runId)
    return { jobId, joined: false, ...(payload.deferred ? { deferral: payload.deferred } : {}) };
  // Only a policy with windows can have a run waiting for them: a plain join costs no read.
  const pending = policy.windows === undefined ? undefined : await waitingForWindows(queue, jobId);
  if (pending && startsAsAsked && (await removedIfStillDelayed(pending.job))) {
    jobId = (await add()).id ?? runId;
    if (jobId === runId) return { jobId, joined: false };
  }
  return { jobId, joined: true, ...(pending ? { deferral: pending.deferral } : {}) };
}

/** When a rotation job starts, and where in line: its due time or request time, and the start it waits for. */
export interface RotationJobTiming {
  /** The job's timestamp: the run's due time (scheduled runs) or when it was asked for. */
  readonly timestamp: number;
  readonly startsAtMs: number;
  readonly nowMs: number;
  readonly priority?: number;
}

/** Adds a rotation job as every rotation is added: one per policy at a time, with the policy's retries. */
export async function addRotationJob(
  queue: Queue,
  policy: PolicyConfig,
  payload: RotatePayload,
  { timestamp, startsAtMs, nowMs, priority }: RotationJobTiming,
): Promise<Job> {
  const job = await queue.add(JOB.rotate, payload, {
    jobId: payload.runId,
    deduplication: { id: policy.id },
    attempts: policy.retry.attempts,
    backoff: { type: BACKOFF_TYPE, delay: policy.retry.backoffMs },
    // BullMQ starts a delayed job at timestamp + delay. A start already past (a trigger that fired at it, or
    // late) queues the job at once, without a detour through the delayed set.
    ...(startsAtMs > nowMs ? { delay: startsAtMs - timestamp, timestamp } : {}),
    ...(priority === undefined ? {} : { priority }),
    // Failure reasons are sanitised messages; stack traces add nothing an operator needs.
    stackTraceLimit: 0,
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 1000 },
  });
  if (startsAtMs > nowMs && job.id === payload.runId)
    await indexDelayedRotation(queue, payload.runId, startsAtMs, nowMs);
  return job;
}

/** A pending rotation that has not started yet because its policy's windows do not allow it. */
async function waitingForWindows(
  queue: Queue,
  jobId: string,
): Promise<{ readonly job: Job; readonly deferral: StartDeferral } | undefined> {
  const job = await queue.getJob(jobId);
  const deferral = job && deferralOf(job);
  return job && deferral ? { job, deferral } : undefined;
}

/** Removes a pending run that still waits in the delayed set; false when it has started meanwhile. */
export async function removedIfStillDelayed(job: Job): Promise<boolean> {
  if (!(await job.isDelayed())) return false;
  try {
    await job.remove();
    return true;
  } catch {
    // Taken by a worker between the two reads: it runs now, which is what the request asked for.
    return false;
  }
}
