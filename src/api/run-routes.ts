import type { Job } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { RunAudit, RunHistoryEntry, Trigger } from '../domain/policy-record.js';
import {
  JOB,
  type RotateJobResult,
  rollbackPayloadSchema,
  rotatePayloadSchema,
} from '../queue/job-payloads.js';
import { auditOf } from '../queue/run-audit.js';
import type { ApiDeps } from './api-deps.js';
import { sendError } from './api-errors.js';

/** Scheduled (`<policy>-<ms>`), on-demand (`-m<ms>`) and rollback (`-r<ms>`) run ids. */
const RUN_ID = /^([a-z0-9][a-z0-9-]*)-[mr]?\d+$/;

/** What a run's job says of it: its policy, why it runs, who asked. */
function requestOf(
  job: Job | undefined,
): { readonly policyId: string; readonly trigger: Trigger; readonly audit: RunAudit } | undefined {
  if (job?.name === JOB.rotate) {
    const parsed = rotatePayloadSchema.safeParse(job.data);
    return parsed.success
      ? { policyId: parsed.data.policyId, trigger: parsed.data.trigger, audit: auditOf(parsed.data) }
      : undefined;
  }
  if (job?.name === JOB.rollback) {
    const parsed = rollbackPayloadSchema.safeParse(job.data);
    return parsed.success
      ? { policyId: parsed.data.policyId, trigger: 'rollback', audit: auditOf(parsed.data) }
      : undefined;
  }
  return undefined;
}

function fromHistory(entry: RunHistoryEntry) {
  return {
    trigger: entry.trigger,
    steps: entry.steps,
    startedAt: entry.startedAt,
    finishedAt: entry.finishedAt,
    durationMs: entry.durationMs,
    ...(entry.versionId === undefined ? {} : { versionId: entry.versionId }),
    ...(entry.error === undefined ? {} : { error: entry.error }),
    ...auditOf(entry),
  };
}

/**
 * When a delayed job is due. A job moved to the delayed set (throttled, or its policy busy) keeps only its
 * delay, not since when, so the delayed set's score (due time × 4096 + a counter) is the one place BullMQ
 * holds it: bullmq is pinned to an exact version, and test/api/http-api.test.ts checks this reading against a
 * delayed job's public timestamp + delay.
 */
async function delayedUntil(deps: ApiDeps, jobId: string): Promise<number | undefined> {
  const score = await deps.redis.zscore(deps.queue.keys.delayed ?? '', jobId);
  return score === null ? undefined : Math.floor(Number(score) / 0x1000);
}

/** A run's state as the API names it: BullMQ keeps prioritized jobs (scheduled runs) apart; they are waiting too. */
async function stateOf(job: Job): Promise<string> {
  const state = await job.getState();
  return state === 'prioritized' ? 'waiting' : state;
}

/** One run: its job's state while BullMQ keeps it, its history entry once it has finished. */
export function registerRunRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Params: { runId: string } }>('/v1/runs/:runId', async (request, reply) => {
    const { runId } = request.params;
    let job = await deps.queue.getJob(runId);
    let state = job ? await stateOf(job) : undefined;
    if (job && (state === 'completed' || state === 'failed') && job.finishedOn === undefined) {
      // It finished between the two reads: read it again, so that state, attempts and result agree.
      job = (await deps.queue.getJob(runId)) ?? job;
    }
    const asked = requestOf(job);
    const policyId = asked?.policyId ?? RUN_ID.exec(runId)?.[1];
    const policy = policyId === undefined ? undefined : deps.policies.get(policyId);
    if (!policy) return sendError(reply, 404, 'not_found', `no run "${runId}"`);

    const result = job?.returnvalue as RotateJobResult | null | undefined;
    // A run that finished an earlier unfinished run is recorded under that run's id.
    const recordedAs = result?.runId ?? runId;
    const entry = (await deps.history.recent(policy.id)).find((candidate) => candidate.runId === recordedAs);
    if (!job && !entry) return sendError(reply, 404, 'not_found', `no run "${runId}"`);

    state ??= entry?.outcome === 'succeeded' ? 'completed' : 'failed';
    return {
      runId,
      policyId: policy.id,
      state,
      ...(recordedAs === runId ? {} : { finishedRun: recordedAs }),
      ...(job
        ? {
            attemptsMade: job.attemptsMade,
            ...(asked ? { trigger: asked.trigger, ...asked.audit } : {}),
            ...(state === 'delayed' ? { dueAt: await delayedUntil(deps, runId) } : {}),
            ...(job.failedReason ? { failedReason: job.failedReason } : {}),
            ...(result?.versionId === undefined ? {} : { versionId: result.versionId }),
          }
        : {}),
      ...(entry ? fromHistory(entry) : {}),
    };
  });
}
