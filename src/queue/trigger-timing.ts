import { createHash } from 'node:crypto';
import type { PolicyConfig } from '../config/rotor-config.js';

/** BullMQ's highest priority number (lowest priority); 1 is the highest. */
const MAX_PRIORITY = 2 ** 21;

/**
 * How long after its due time a policy's scheduled rotation starts: a fixed point below its jitter, drawn from
 * its id. Policies sharing a schedule spread evenly over the window, and each keeps its place run after run,
 * so the order its trigger must be handled in is known before it fires.
 */
export function jitterOffsetMs(policy: Pick<PolicyConfig, 'id' | 'jitterMs'>): number {
  if (policy.jitterMs <= 0) return 0;
  const fraction = createHash('sha256').update(policy.id).digest().readUIntBE(0, 6) / 2 ** 48;
  return Math.floor(fraction * policy.jitterMs);
}

/**
 * The options of a policy's trigger jobs (from its Job Scheduler or its before-expiry timer). Triggers are
 * prioritized by their jitter offset, in seconds: BullMQ takes jobs without a priority (rotations,
 * revocations) first, then prioritized ones lowest number first. When thousands of policies fall due at once,
 * a due rotation never waits behind the burst of triggers, and the triggers are handled soonest-starting first.
 */
export function triggerJobOptions(policy: Pick<PolicyConfig, 'id' | 'jitterMs'>) {
  return {
    priority: Math.min(1 + Math.floor(jitterOffsetMs(policy) / 1000), MAX_PRIORITY),
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
  };
}
