import type { Job, Queue } from 'bullmq';
import { alertWindowOverridden } from '../alerts/rotation-alerts.js';
import type { PolicyConfig } from '../config/rotor-config.js';
import { delayedRotationIds, forgetDelayedRotations } from './delayed-rotations.js';
import type { RotatePayload } from './job-payloads.js';
import { JOB, rotatePayloadSchema } from './job-payloads.js';
import type { ProcessorDeps } from './processor-deps.js';
import { addRotationJob, removedIfStillDelayed } from './rotation-requests.js';
import { type PlannedStart, plannedStart, windowOverrideOf } from './rotation-start.js';

export interface ReplannedRuns {
  /** Pending runs whose start moved (later or earlier) under the windows now configured. */
  readonly moved: number;
  /** Before-expiry runs that now start at once: their credential would lapse before the windows open. */
  readonly overridden: number;
}

/**
 * Places every pending rotation that has not started yet where the policy's windows, as now configured, let
 * it start (a reload that changes a window or a freeze moves it). A run keeps its id, its due time and its
 * place in line; one asked for at a moment the windows now allow starts then (at once when past). Retries
 * waiting out their backoff keep their time (forced and overriding runs never wait: they are never delayed).
 */
export async function replanDeferredRuns(deps: ProcessorDeps): Promise<ReplannedRuns> {
  let moved = 0;
  let overridden = 0;
  for (const job of await waitingRotations(deps.queue)) {
    const parsed = rotatePayloadSchema.safeParse(job.data);
    if (!parsed.success) continue;
    const payload = parsed.data;
    const policy = deps.policies.get(payload.policyId);
    if (!policy) continue;
    const nowMs = deps.clock.now();
    const startsAtMs = job.timestamp + (job.opts.delay ?? 0);
    const askedMs = Math.max(payload.deferred?.askedAt ?? startsAtMs, nowMs);
    const override =
      payload.trigger === 'expiry'
        ? windowOverrideOf(policy, askedMs, (await deps.records.get(policy.id)).current?.expiresAt)
        : undefined;
    const planned: PlannedStart = override ? { atMs: askedMs } : plannedStart(policy, askedMs);
    if (planned.atMs === startsAtMs) continue;
    const { deferred: _before, ...rest } = payload;
    const replanned: RotatePayload = {
      ...rest,
      ...(override ? { windowOverride: override } : {}),
      ...(planned.deferral ? { deferred: planned.deferral } : {}),
    };
    if (!(await replace(deps, policy, job, replanned, planned.atMs, nowMs))) continue;
    moved++;
    const log = { policyId: policy.id, runId: payload.runId, from: iso(startsAtMs), to: iso(planned.atMs) };
    if (override) {
      overridden++;
      deps.log.warn(
        log,
        'rotating outside the policy’s windows: the credential would expire before they allow a start',
      );
      if (deps.alerts) await alertWindowOverridden(deps.alerts, policy, payload.runId, override);
    } else deps.log.info(log, 'pending run moved to where the policy’s windows now allow it to start');
  }
  return { moved, overridden };
}

async function replace(
  deps: ProcessorDeps,
  policy: PolicyConfig,
  job: Job,
  payload: RotatePayload,
  startsAtMs: number,
  nowMs: number,
): Promise<boolean> {
  if (!(await removedIfStillDelayed(job))) return false;
  await addRotationJob(deps.queue, policy, payload, {
    timestamp: job.timestamp,
    startsAtMs,
    nowMs,
    ...(job.opts.priority === undefined ? {} : { priority: job.opts.priority }),
  });
  return true;
}

const iso = (ms: number) => new Date(ms).toISOString();
const READ_AT_ONCE = 64;

/** The indexed rotation jobs still delayed and never started; the index forgets the others. */
async function waitingRotations(queue: Queue): Promise<Job[]> {
  const ids = await delayedRotationIds(queue);
  const waiting: Job[] = [];
  const gone: string[] = [];
  for (let start = 0; start < ids.length; start += READ_AT_ONCE) {
    const batch = ids.slice(start, start + READ_AT_ONCE);
    const jobs = await Promise.all(batch.map((id) => queue.getJob(id)));
    const states = await Promise.all(jobs.map((job) => job?.isDelayed()));
    jobs.forEach((job, index) => {
      const stillWaiting =
        job !== undefined && job.name === JOB.rotate && states[index] === true && job.attemptsStarted === 0;
      if (stillWaiting) waiting.push(job);
      else gone.push(batch[index] as string);
    });
  }
  await forgetDelayedRotations(queue, gone);
  return waiting;
}
