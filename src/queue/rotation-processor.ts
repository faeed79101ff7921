import type { Job, Queue } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { AlertSink } from '../alerts/alert-publisher.js';
import { sweepAlerts } from '../alerts/alert-sweep.js';
import {
  alertRevocationFailed,
  alertRotationFailed,
  alertRotationSucceeded,
} from '../alerts/rotation-alerts.js';
import type { PolicyConfig } from '../config/rotor-config.js';
import { RotationError } from '../domain/errors.js';
import { sweepOrphans } from '../engine/orphan-sweep.js';
import { recordFailure } from '../engine/record-failure.js';
import { revokeDisplaced } from '../engine/revoke-displaced.js';
import { type RotationDeps, runRotation } from '../engine/run-rotation.js';
import type { RotationMetrics } from '../metrics/rotor-metrics.js';
import { armExpiryTimer } from './expiry-timer.js';
import { applyFailure, asRotationError, isFinalFailure, outcomeFor } from './failure-policy.js';
import {
  JOB,
  payloadProblem,
  type RotateJobResult,
  requestPayloadSchema,
  revokePayloadSchema,
  rotatePayloadSchema,
  triggerPayloadSchema,
} from './job-payloads.js';
import { scheduleRevoke } from './revoke-scheduling.js';
import { requestRotation } from './rotation-requests.js';

export interface ProcessorDeps extends RotationDeps {
  readonly queue: Queue;
  readonly policies: ReadonlyMap<string, PolicyConfig>;
  readonly random?: () => number;
  readonly metrics?: RotationMetrics;
  readonly alerts?: AlertSink;
  /** The worker's lock duration, for renewing a job's lock when checking ownership. */
  readonly lockDurationMs: number;
}

function policyFor(deps: ProcessorDeps, policyId: string, jobName: string): PolicyConfig {
  const policy = deps.policies.get(policyId);
  if (!policy)
    throw new UnrecoverableError(`${jobName} job for policy ${policyId}, which is not in the config`);
  return policy;
}

function parse<T>(
  job: Job,
  schema: {
    safeParse(data: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError };
  },
): T {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(payloadProblem(job.name, parsed.error));
  return parsed.data;
}

/** One processor for rotor's queue: dispatches by job name; a malformed job fails alone, with its reason. */
export function createRotationProcessor(deps: ProcessorDeps) {
  return async (job: Job, token?: string): Promise<RotateJobResult | string | number> => {
    switch (job.name) {
      case JOB.trigger:
        return trigger(deps, job);
      case JOB.rotate:
        return rotate(deps, job, token);
      case JOB.revoke:
        return revoke(deps, job, token);
      case JOB.request:
        return request(deps, job);
      case JOB.orphanSweep:
        return orphanSweep(deps);
      case JOB.sweep:
        if (!deps.alerts) throw new UnrecoverableError('sweep job, but no alerts are configured');
        return sweepAlerts({ ...deps, alerts: deps.alerts });
      default:
        throw new UnrecoverableError(`unknown job name "${job.name}"`);
    }
  };
}

/** The orphan sweep over every policy whose provider can list what rotor made. */
async function orphanSweep(deps: ProcessorDeps): Promise<string> {
  let deleted = 0;
  let failed = 0;
  for (const policy of deps.policies.values()) {
    if (policy.paused) continue;
    const outcome = await sweepOrphans(deps, policy);
    deleted += outcome.deleted.length;
    failed += outcome.failed.length;
    for (const _handle of outcome.deleted) deps.metrics?.orphanDeleted(policy);
    for (const failure of outcome.failed) {
      if (deps.alerts) await alertRevocationFailed(deps.alerts, policy, failure);
    }
  }
  return `orphans deleted: ${deleted}, failed: ${failed}`;
}

async function trigger(deps: ProcessorDeps, job: Job): Promise<string> {
  const payload = parse(job, triggerPayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  const { needsAttentionSince } = await deps.records.get(policy.id);
  if (needsAttentionSince !== undefined) {
    deps.log.warn(
      { policyId: policy.id, needsAttentionSince: new Date(needsAttentionSince).toISOString() },
      'policy needs attention: scheduled run skipped; a successful rotor rotate resumes the schedule',
    );
    return 'skipped: the policy needs attention';
  }
  const nowMs = deps.clock.now();
  const random = deps.random ?? Math.random;
  const delayMs = policy.jitterMs > 0 ? Math.floor(random() * policy.jitterMs) : 0;
  const dueMs = job.opts.prevMillis ?? job.timestamp + (job.opts.delay ?? 0);
  const requested = await requestRotation(deps.queue, policy, payload.source, { dueMs, delayMs, nowMs });
  return requested.jobId;
}

/** A rotation asked for by another service through the queue: exactly what `rotor rotate` does. */
async function request(deps: ProcessorDeps, job: Job): Promise<string> {
  const payload = parse(job, requestPayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  const requested = await requestRotation(deps.queue, policy, 'manual', {
    nowMs: deps.clock.now(),
    ...(payload.reason === undefined ? {} : { reason: payload.reason }),
    ...(payload.requestedBy === undefined ? {} : { requestedBy: payload.requestedBy }),
  });
  deps.log.info(
    {
      policyId: policy.id,
      jobId: requested.jobId,
      joined: requested.joined,
      requestedBy: payload.requestedBy,
    },
    'rotation requested through the queue',
  );
  return requested.jobId;
}

async function rotate(deps: ProcessorDeps, job: Job, token: string | undefined): Promise<RotateJobResult> {
  const payload = parse(job, rotatePayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  const startedAt = deps.clock.now();
  const controller = new AbortController();
  try {
    const result = await runRotation(deps, {
      policy,
      runId: payload.runId,
      trigger: payload.trigger,
      signal: controller.signal,
      // Renewing the lock proves ownership: BullMQ answers 0 when the lock is gone or another worker holds it.
      ...(token === undefined
        ? {}
        : { stillOwned: async () => (await job.extendLock(token, deps.lockDurationMs)) === 1 }),
    });
    if (result.revoke) await scheduleRevoke(deps.queue, policy, result.revoke, deps.clock.now());
    await armExpiryTimer(deps.queue, policy, result.expiresAt, deps.clock.now());
    if (!result.alreadyDone) {
      deps.metrics?.runFinished(policy, 'succeeded', deps.clock.now() - startedAt);
      if (deps.alerts) await alertRotationSucceeded(deps.alerts, policy, result);
    }
    return { runId: result.runId, versionId: result.versionId, alreadyDone: result.alreadyDone };
  } catch (caught) {
    const error = asRotationError(caught);
    if (error.kind === 'protocol' && !(caught instanceof RotationError)) {
      deps.log.error({ err: caught, policyId: policy.id }, 'unexpected failure in a rotation');
    }
    const nowMs = deps.clock.now();
    const final = isFinalFailure(error, job.attemptsMade, job.opts.attempts ?? 1, nowMs);
    const before = await deps.records.get(policy.id);
    const record = await recordFailure(deps, {
      policyId: policy.id,
      runId: payload.runId,
      trigger: payload.trigger,
      startedAt,
      error,
      final,
      needsAttentionAfter: policy.retry.needsAttentionAfter,
    });
    const enteredNeedsAttention =
      before.needsAttentionSince === undefined && record.needsAttentionSince !== undefined;
    if (enteredNeedsAttention) {
      deps.log.error(
        { policyId: policy.id, consecutiveFailures: record.consecutiveFailures },
        'policy needs attention: scheduled runs stop until a rotation succeeds (rotor rotate)',
      );
    }
    deps.log[final ? 'error' : 'warn'](
      { err: error, policyId: policy.id, runId: payload.runId, final },
      'rotation failed',
    );
    const next = outcomeFor(error, nowMs).kind;
    const outcome = final ? 'failed' : next === 'delay' ? 'delayed' : 'retrying';
    deps.metrics?.runFinished(policy, outcome, nowMs - startedAt);
    deps.observe?.({ policyId: policy.id, runId: payload.runId, step: outcome, note: error.message });
    if (deps.alerts) {
      await alertRotationFailed(deps.alerts, policy, {
        runId: payload.runId,
        error,
        final,
        record,
        enteredNeedsAttention,
      });
    }
    return applyFailure(job, token, error, nowMs);
  }
}

async function revoke(deps: ProcessorDeps, job: Job, token: string | undefined): Promise<string> {
  const payload = parse(job, revokePayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  const log = deps.log.child({ policyId: policy.id, step: 'revoke' });
  try {
    const outcome = await revokeDisplaced(
      deps,
      { policy, handle: payload.handle, versionId: payload.versionId },
      {
        http: deps.http,
        log,
        signal: new AbortController().signal,
        clock: deps.clock,
        policyId: policy.id,
        runId: job.id ?? payload.versionId,
      },
    );
    log.info({ handle: payload.handle, outcome }, 'displaced credential revoked');
    deps.observe?.({
      policyId: policy.id,
      runId: job.id ?? '',
      step: 'revoke',
      versionId: payload.versionId,
      note: outcome,
    });
    return outcome;
  } catch (caught) {
    const error = asRotationError(caught);
    const final = isFinalFailure(error, job.attemptsMade, job.opts.attempts ?? 1, deps.clock.now());
    log[final ? 'error' : 'warn']({ err: error, final }, 'revoke failed');
    if (final && deps.alerts) {
      await alertRevocationFailed(deps.alerts, policy, { versionId: payload.versionId, error });
    }
    return applyFailure(job, token, error, deps.clock.now());
  }
}
