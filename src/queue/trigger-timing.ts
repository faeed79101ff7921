import type { PolicyConfig } from '../config/rotor-config.js';
import { jitterOffsetMs } from '../domain/jitter-offset.js';

/** BullMQ's highest priority number (lowest priority); 1 is the highest. */
const MAX_PRIORITY = 2 ** 21;

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
