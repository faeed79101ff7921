import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { expiryJobIdFor, JOB, type TriggerPayload } from './job-payloads.js';
import { triggerJobOptions } from './trigger-timing.js';

/**
 * Arms the before-expiry trigger of a policy: one delayed job due at `expiresAt − lead`, replacing the previous
 * one. Returns the due time, or undefined when the policy is not on a before-expiry schedule or the expiry is
 * unknown. A due time in the past fires at once.
 */
export async function armExpiryTimer(
  queue: Queue,
  policy: PolicyConfig,
  expiresAtMs: number | undefined,
  nowMs: number,
): Promise<number | undefined> {
  if (policy.schedule.kind !== 'beforeExpiry' || policy.paused || expiresAtMs === undefined) return undefined;
  const dueMs = expiresAtMs - policy.schedule.leadMs;
  const jobId = expiryJobIdFor(policy.id);
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state === 'active') return undefined;
    if (state === 'delayed' && existing.timestamp + (existing.opts.delay ?? 0) === Math.max(dueMs, nowMs))
      return dueMs;
    await existing.remove();
  }
  const data: TriggerPayload = { policyId: policy.id, source: 'expiry' };
  await queue.add(JOB.trigger, data, {
    jobId,
    // With the timestamp given, the job is due exactly at timestamp + delay.
    timestamp: nowMs,
    delay: Math.max(dueMs - nowMs, 0),
    ...triggerJobOptions(policy),
    removeOnComplete: true,
    removeOnFail: { count: 50 },
  });
  return dueMs;
}
