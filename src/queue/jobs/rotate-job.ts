import { DelayedError, type Job } from 'bullmq';
import {
  alertRolledBack,
  alertRotationFailed,
  alertRotationSucceeded,
} from '../../alerts/rotation-alerts.js';
import type { PolicyConfig } from '../../config/rotor-config.js';
import { RotationError } from '../../domain/errors.js';
import { recordFailure } from '../../engine/record-failure.js';
import { type RotationResult, runRotation } from '../../engine/run-rotation.js';
import { logUnexpected } from '../../lib/unexpected-error.js';
import { queueConsumersCheck } from '../consumers-check.js';
import { armExpiryTimer } from '../expiry-timer.js';
import {
  applyFailure,
  asRotationError,
  delayJob,
  isFinalFailure,
  outcomeFor,
  throttleBackoff,
} from '../failure-policy.js';
import { type RotateJobResult, type RotatePayload, rotatePayloadSchema } from '../job-payloads.js';
import { jobFence, type ProcessorDeps, parse, policyFor } from '../processor-deps.js';
import { queueReloadHooks } from '../reload-hooks.js';
import { scheduleRevoke } from '../revoke-scheduling.js';
import { auditOf } from '../run-audit.js';
import { startLatenessMs } from '../trigger-timing.js';

/** Tells the metrics how late a scheduled run's first attempt started (a retry starts later on purpose). */
function observeStart(
  deps: ProcessorDeps,
  job: Job,
  policy: PolicyConfig,
  payload: RotatePayload,
  startedAt: number,
): void {
  const { trigger } = payload;
  if (!deps.metrics || job.attemptsStarted !== 1 || (trigger !== 'schedule' && trigger !== 'expiry')) return;
  const latenessMs = startLatenessMs(policy, payload.runId, startedAt, payload.deferred?.startsAt);
  if (latenessMs !== undefined) deps.metrics.scheduledRunStarted(trigger, latenessMs);
}

/**
 * Another job is working on the policy's run: this one waits (delayed, no attempt spent) and looks again.
 * Not a failure: nothing is booked or alerted, and it never issued or promoted anything.
 */
async function waitForRunningJob(
  deps: ProcessorDeps,
  job: Job,
  token: string | undefined,
  policy: PolicyConfig,
  payload: RotatePayload,
  error: RotationError,
): Promise<never> {
  const nowMs = deps.clock.now();
  const waitMs = throttleBackoff(job, policy.retry);
  deps.log.info(
    { policyId: policy.id, runId: payload.runId, jobId: job.id, waitMs },
    'another job is rotating this policy; this one waits',
  );
  deps.observe?.({ policyId: policy.id, runId: payload.runId, step: 'waiting', note: error.message });
  return applyFailure(job, token, error, nowMs, waitMs);
}

/**
 * This job found a rollback whose job had died holding the policy's fence, and finished it (AWSCURRENT holds the
 * restored credential; the rolled-back one's revoke is scheduled): it is alerted as the rollback it was, and
 * the job then starts over (no attempt spent) to make the rotation it was asked for.
 */
async function finishedRollback(
  deps: ProcessorDeps,
  job: Job,
  token: string | undefined,
  policy: PolicyConfig,
  payload: RotatePayload,
  result: RotationResult,
): Promise<never> {
  const nowMs = deps.clock.now();
  await armExpiryTimer(deps.queue, policy, result.expiresAt, nowMs);
  deps.log.warn(
    { policyId: policy.id, runId: payload.runId, rollbackRunId: result.runId, versionId: result.versionId },
    'finished a rollback whose job had stopped; rotating next',
  );
  deps.metrics?.rollbackFinished(policy, 'rolled-back');
  if (deps.alerts && result.revoke) {
    await alertRolledBack(deps.alerts, policy, {
      runId: result.runId,
      versionId: result.versionId,
      rolledBackVersionId: result.revoke.versionId,
      revokeAt: result.revoke.dueAt,
      requestedBy: undefined,
      reason: undefined,
    });
  }
  return delayJob(job, token, nowMs, `finished rollback ${result.runId} first; rotating now`);
}

/** One attempt of a rotation; a failure is booked, alerted and turned into BullMQ's outcome. */
export async function rotate(
  deps: ProcessorDeps,
  job: Job,
  token: string | undefined,
): Promise<RotateJobResult> {
  const payload = parse(job, rotatePayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  const startedAt = deps.clock.now();
  observeStart(deps, job, policy, payload, startedAt);
  const controller = new AbortController();
  // Who asked and why reaches the run history with the entry the run appends, whatever the run's outcome. A
  // job that finishes an earlier unfinished run records that run with this job's request.
  const audit = auditOf(payload);
  try {
    const result = await runRotation(deps, {
      policy,
      runId: payload.runId,
      trigger: payload.trigger,
      signal: controller.signal,
      audit,
      // BullMQ's lock holds the token while this worker owns the job; the run's start checks it.
      ...jobFence(job, token),
    });
    if (result.revoke) await scheduleRevoke(deps.queue, policy, result.revoke, deps.clock.now());
    if (result.rollbackRevoke)
      await scheduleRevoke(deps.queue, policy, result.rollbackRevoke, deps.clock.now());
    if (result.trigger === 'rollback') return finishedRollback(deps, job, token, policy, payload, result);
    await queueReloadHooks(deps.queue, policy, result);
    if (!result.alreadyDone)
      await queueConsumersCheck(deps.queue, policy, {
        versionId: result.versionId,
        committedAt: deps.clock.now(),
      });
    await armExpiryTimer(deps.queue, policy, result.expiresAt, deps.clock.now());
    if (!result.alreadyDone) {
      deps.metrics?.runFinished(policy, 'succeeded', deps.clock.now() - startedAt);
      if (deps.alerts) await alertRotationSucceeded(deps.alerts, policy, result);
    }
    return { runId: result.runId, versionId: result.versionId, alreadyDone: result.alreadyDone };
  } catch (caught) {
    if (caught instanceof DelayedError) throw caught;
    const error = asRotationError(caught, deps.redactor);
    if (!(caught instanceof RotationError)) {
      logUnexpected(
        deps.log,
        caught,
        { policyId: policy.id, jobId: job.id },
        'unexpected failure in a rotation job',
      );
    }
    if (error.kind === 'busy') return waitForRunningJob(deps, job, token, policy, payload, error);
    const nowMs = deps.clock.now();
    const final = isFinalFailure(error, job.attemptsMade, job.opts.attempts ?? 1, nowMs);
    const before = await deps.records.get(policy.id);
    const record = await recordFailure(deps, {
      policyId: policy.id,
      audit,
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
    return applyFailure(job, token, error, nowMs, throttleBackoff(job, policy.retry));
  }
}
