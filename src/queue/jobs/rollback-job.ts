import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { alertRolledBack, alertRotationFailed } from '../../alerts/rotation-alerts.js';
import type { PolicyConfig } from '../../config/rotor-config.js';
import { RotationError } from '../../domain/errors.js';
import type { PolicyRecord, RunAudit, RunHistoryEntry } from '../../domain/policy-record.js';
import { runRollback } from '../../engine/run-rollback.js';
import { logUnexpected } from '../../lib/unexpected-error.js';
import { armExpiryTimer } from '../expiry-timer.js';
import { applyFailure, asRotationError, isFinalFailure, throttleBackoff } from '../failure-policy.js';
import { releaseHold } from '../hold-release.js';
import { type RollbackPayload, rollbackPayloadSchema } from '../job-payloads.js';
import { queuedRevokes } from '../pending-revokes.js';
import { jobFence, type ProcessorDeps, parse, policyFor } from '../processor-deps.js';
import { queueReloadHooks } from '../reload-hooks.js';
import { scheduleRevoke } from '../revoke-scheduling.js';
import { auditOf } from '../run-audit.js';

/** What rollback jobs return (BullMQ keeps it as the job's return value): ids only. */
export interface RollbackJobResult {
  readonly runId: string;
  /** The version AWSCURRENT holds again. */
  readonly versionId: string;
  /** The version taken out of use (labelled rotor-rolled-back, revoked at `revokeAt`). */
  readonly rolledBackVersionId: string;
  readonly revokeAt: number | undefined;
  readonly alreadyDone: boolean;
}

/**
 * Puts the policy's previous credential back (`rotor rollback`): the engine checks and restores it under the
 * policy's fence; this job then schedules the rolled-back credential's revoke, releases a hold on the restored
 * one, tells the consumers, and alerts. A refusal fails the job at once with its reason, changing nothing.
 */
export async function rollback(
  deps: ProcessorDeps,
  job: Job,
  token: string | undefined,
): Promise<RollbackJobResult> {
  const payload = parse(job, rollbackPayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  const log = deps.log.child({ policyId: policy.id, runId: payload.runId });
  const audit = auditOf(payload);
  const startedAt = deps.clock.now();
  const pendingRevokes = queuedRevokes(deps.queue, () => deps.clock.now());
  try {
    const outcome = await runRollback(
      { ...deps, pendingRevokes },
      {
        policy,
        runId: payload.runId,
        fromVersionId: payload.fromVersionId,
        signal: new AbortController().signal,
        audit,
        ...jobFence(job, token),
      },
    );
    if (outcome.kind === 'refused') {
      log.warn({ reason: outcome.reason }, 'rollback refused: nothing was changed');
      await appendHistory(deps, policy, payload, startedAt, audit, {
        kind: 'refused',
        message: outcome.reason,
      });
      deps.metrics?.rollbackFinished(policy, 'refused');
      throw new UnrecoverableError(`rollback refused: ${outcome.reason}`);
    }
    const { restored, rolledBackVersionId, alreadyDone } = outcome;
    const nowMs = deps.clock.now();
    const revoke = payload.revokeNow ? { ...outcome.revoke, dueAt: nowMs } : outcome.revoke;
    await scheduleRevoke(deps.queue, policy, revoke, nowMs);
    // The restored version may be held for consumers that never confirmed its successor: it is current now.
    await releaseHold(deps, policy, restored.versionId, log);
    await queueReloadHooks(deps.queue, policy, {
      versionId: restored.versionId,
      rollbackRunId: payload.runId,
    });
    await armExpiryTimer(deps.queue, policy, restored.expiresAt, nowMs);
    if (!alreadyDone) {
      deps.metrics?.rollbackFinished(policy, 'rolled-back');
      log.info(
        {
          versionId: restored.versionId,
          rolledBackVersionId,
          revokeAt: new Date(revoke.dueAt).toISOString(),
          requestedBy: payload.requestedBy,
        },
        'rolled back: the previous credential is AWSCURRENT again',
      );
      deps.observe?.({
        policyId: policy.id,
        runId: payload.runId,
        step: 'rollback',
        versionId: restored.versionId,
      });
      if (deps.alerts) {
        await alertRolledBack(deps.alerts, policy, {
          runId: payload.runId,
          versionId: restored.versionId,
          rolledBackVersionId,
          revokeAt: revoke.dueAt,
          requestedBy: payload.requestedBy,
          reason: payload.reason,
        });
      }
    }
    return {
      runId: payload.runId,
      versionId: restored.versionId,
      rolledBackVersionId,
      revokeAt: revoke.dueAt,
      alreadyDone,
    };
  } catch (caught) {
    if (caught instanceof UnrecoverableError || caught instanceof DelayedError) throw caught;
    if (!(caught instanceof RotationError)) {
      logUnexpected(log, caught, { jobId: job.id }, 'unexpected failure in a rollback job');
    }
    const error = asRotationError(caught, deps.redactor);
    const nowMs = deps.clock.now();
    if (error.kind === 'busy') {
      log.info({ reason: error.message }, 'the policy is busy; the rollback waits');
      return applyFailure(job, token, error, nowMs, throttleBackoff(job, policy.retry));
    }
    const final = isFinalFailure(error, job.attemptsMade, job.opts.attempts ?? 1, nowMs);
    log[final ? 'error' : 'warn']({ err: error, final }, 'rollback failed');
    if (final) {
      deps.metrics?.rollbackFinished(policy, 'failed');
      const record = await appendHistory(deps, policy, payload, startedAt, audit, {
        kind: error.kind,
        message: error.message,
        ...(error.details.step === undefined ? {} : { step: error.details.step }),
      });
      if (deps.alerts) {
        await alertRotationFailed(deps.alerts, policy, {
          runId: payload.runId,
          error,
          final,
          record,
          enteredNeedsAttention: false,
        });
      }
    }
    return applyFailure(job, token, error, nowMs, throttleBackoff(job, policy.retry));
  }
}

/** A rollback that ended without restoring anything, in the run history (who asked, why, why it ended). */
function appendHistory(
  deps: ProcessorDeps,
  policy: PolicyConfig,
  payload: RollbackPayload,
  startedAt: number,
  audit: RunAudit,
  error: NonNullable<RunHistoryEntry['error']>,
): Promise<PolicyRecord> {
  const finishedAt = deps.clock.now();
  const history: RunHistoryEntry = {
    runId: payload.runId,
    trigger: 'rollback',
    startedAt,
    finishedAt,
    durationMs: finishedAt - startedAt,
    outcome: 'failed',
    steps: [],
    error,
    ...audit,
  };
  return deps.records.update(policy.id, (record) => record, { history });
}
