import type { Job } from 'bullmq';
import { jitterOffsetMs } from '../../domain/jitter-offset.js';
import { dueTimeOf, firesAtOf } from '../jittered-firing.js';
import { triggerPayloadSchema } from '../job-payloads.js';
import { type ProcessorDeps, parse, policyFor } from '../processor-deps.js';
import { requestRotation } from '../rotation-requests.js';
import { scheduledPriority } from '../trigger-timing.js';

/** A policy's schedule or expiry timer fired: adds the rotation, unless the policy needs attention. */
export async function trigger(deps: ProcessorDeps, job: Job): Promise<string> {
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
  const delayMs = jitterOffsetMs(policy);
  const dueMs = dueTimeOf(firesAtOf(job), payload);
  const requested = await requestRotation(deps.queue, policy, payload.source, {
    dueMs,
    delayMs,
    nowMs,
    priority: scheduledPriority(policy),
  });
  return requested.jobId;
}
