import type { Job } from 'bullmq';
import { alertWindowOverridden } from '../../alerts/rotation-alerts.js';
import type { PolicyConfig } from '../../config/rotor-config.js';
import { confirmingConsumers } from '../../consumers/consumer-gate.js';
import { scheduledRunId } from '../../domain/ids.js';
import { jitterOffsetMs } from '../../domain/jitter-offset.js';
import type { WindowOverride } from '../../domain/policy-record.js';
import { dueTimeOf, firesAtOf } from '../jittered-firing.js';
import { triggerPayloadSchema } from '../job-payloads.js';
import { type ProcessorDeps, parse, policyFor } from '../processor-deps.js';
import { requestRotation } from '../rotation-requests.js';
import { windowOverrideOf } from '../rotation-start.js';
import { scheduledPriority } from '../trigger-timing.js';

/**
 * A policy's schedule or expiry timer fired: adds the rotation, to start when the policy's windows allow,
 * unless the policy needs attention. A before-expiry run that would wait past its credential's expiry
 * starts anyway, and says so.
 */
export async function trigger(deps: ProcessorDeps, job: Job): Promise<string> {
  const payload = parse(job, triggerPayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  const record = await deps.records.get(policy.id);
  if (record.needsAttentionSince !== undefined) {
    deps.log.warn(
      { policyId: policy.id, needsAttentionSince: new Date(record.needsAttentionSince).toISOString() },
      'policy needs attention: scheduled run skipped; a successful rotor rotate resumes the schedule',
    );
    return 'skipped: the policy needs attention';
  }
  const nowMs = deps.clock.now();
  const delayMs = jitterOffsetMs(policy);
  const dueMs = dueTimeOf(firesAtOf(job), payload);
  if (payload.source === 'schedule' && deps.consumers && confirmingConsumers(policy.consumers).length > 0) {
    const { held } = await deps.consumers.read(policy.id);
    if (held.length > 0) {
      await deps.consumers.holdRun(policy.id, dueMs);
      deps.log.warn(
        { policyId: policy.id, held: held.map((version) => version.versionId) },
        'scheduled run waits: a displaced credential is held for consumers that have not confirmed; it starts when they do (rotor rotate --force rotates now)',
      );
      return 'waiting: a displaced credential is held for its consumers';
    }
  }
  const windowOverride =
    payload.source === 'expiry'
      ? await expiryOverride(deps, policy, dueMs, Math.max(dueMs + delayMs, nowMs), record.current?.expiresAt)
      : undefined;
  const requested = await requestRotation(deps.queue, policy, payload.source, {
    dueMs,
    delayMs,
    nowMs,
    priority: scheduledPriority(policy),
    ...(windowOverride === undefined ? {} : { windowOverride }),
  });
  if (windowOverride !== undefined && !requested.joined) {
    deps.log.warn(
      {
        policyId: policy.id,
        runId: requested.jobId,
        expiresAt: new Date(windowOverride.expiresAt).toISOString(),
        allowedAt: new Date(windowOverride.allowedAt).toISOString(),
        closedBy: windowOverride.kind,
        freezeReason: windowOverride.freezeReason,
      },
      'rotating outside the policy’s windows: the credential would expire before they allow a start',
    );
    if (deps.alerts) await alertWindowOverridden(deps.alerts, policy, requested.jobId, windowOverride);
  } else if (requested.deferral !== undefined && !requested.joined) {
    deps.log.info(
      {
        policyId: policy.id,
        runId: requested.jobId,
        startsAt: new Date(requested.deferral.startsAt).toISOString(),
        closedBy: requested.deferral.kind,
        freezeReason: requested.deferral.freezeReason,
      },
      'run deferred until the policy’s windows allow it to start',
    );
  }
  return requested.jobId;
}

/**
 * The override a before-expiry run needs to start outside the windows, unless this due time's run was
 * already asked for (a timer re-armed for a credential whose expiry did not move fires again; its run is
 * not repeated, and neither is its alert).
 */
async function expiryOverride(
  deps: ProcessorDeps,
  policy: PolicyConfig,
  dueMs: number,
  askedMs: number,
  expiresAtMs: number | undefined,
): Promise<WindowOverride | undefined> {
  const override = windowOverrideOf(policy, askedMs, expiresAtMs);
  if (override === undefined) return undefined;
  return (await deps.queue.getJob(scheduledRunId(policy.id, dueMs))) ? undefined : override;
}
