import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { dueTimeOf, firesAfterDueMs, firesAtOf } from './jittered-firing.js';
import { expiryJobIdFor, JOB, type TriggerPayload } from './job-payloads.js';
import { triggerJobOptions } from './trigger-timing.js';

/**
 * Arms the before-expiry trigger of a policy: one delayed job for the run due at `expiresAt − lead`, firing
 * its jitter offset later, replacing the previous one. Returns the due time, or undefined when the policy is
 * not on a before-expiry schedule or the expiry is unknown. A firing time in the past fires at once.
 */
export async function armExpiryTimer(
  queue: Queue,
  policy: PolicyConfig,
  expiresAtMs: number | undefined,
  nowMs: number,
): Promise<number | undefined> {
  if (policy.schedule.kind !== 'beforeExpiry' || policy.paused || expiresAtMs === undefined) return undefined;
  const dueMs = expiresAtMs - policy.schedule.leadMs;
  const firesAtMs = Math.max(dueMs + firesAfterDueMs(policy), nowMs);
  const jobId = expiryJobIdFor(policy.id);
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state === 'active') return undefined;
    const existingFiresAtMs = firesAtOf(existing);
    if (
      state === 'delayed' &&
      existingFiresAtMs === firesAtMs &&
      dueTimeOf(existingFiresAtMs, existing.data) === dueMs
    )
      return dueMs;
    await existing.remove();
  }
  // Armed late, it fires now: more than the offset after the due time, and says so.
  const afterDueMs = firesAtMs - dueMs;
  const data: TriggerPayload = {
    policyId: policy.id,
    source: 'expiry',
    ...(afterDueMs > 0 ? { firesAfterDueMs: afterDueMs } : {}),
  };
  await queue.add(JOB.trigger, data, {
    jobId,
    // With the timestamp given, the job is due exactly at timestamp + delay.
    timestamp: nowMs,
    delay: firesAtMs - nowMs,
    ...triggerJobOptions(policy),
    removeOnComplete: true,
    removeOnFail: { count: 50 },
  });
  return dueMs;
}
