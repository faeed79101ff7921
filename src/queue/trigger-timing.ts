import type { PolicyConfig } from '../config/rotor-config.js';
import { dueTimeOfRun } from '../domain/ids.js';
import { jitterOffsetMs } from '../domain/jitter-offset.js';

/** BullMQ's highest priority number (lowest priority); 1 is the highest. */
const MAX_PRIORITY = 2 ** 21;
/** One priority step per tenth of a second of jitter offset (2^21 steps cover 58 hours). */
const PRIORITY_STEP_MS = 100;

/**
 * The BullMQ priority of a policy's scheduled work: its trigger jobs (from its Job Scheduler or its
 * before-expiry timer) and the rotation a trigger adds. BullMQ takes jobs without a priority (on-demand
 * rotations, revocations) first, then prioritized ones lowest number first. Numbering by jitter offset makes
 * that earliest start first: when thousands of policies fall due at once, the burst of triggers and the
 * rotations they start are taken in the order the rotations start, so a trigger is handled before its
 * rotation's start and a due rotation never waits behind triggers of rotations that start later. Offsets are
 * compared, not times: when two bursts overlap, the newer one's early work goes before the older one's late work.
 */
export function scheduledPriority(policy: Pick<PolicyConfig, 'id' | 'jitterMs'>): number {
  return Math.min(1 + Math.floor(jitterOffsetMs(policy) / PRIORITY_STEP_MS), MAX_PRIORITY);
}

/** The options of a policy's trigger jobs. */
export function triggerJobOptions(policy: Pick<PolicyConfig, 'id' | 'jitterMs'>) {
  return {
    priority: scheduledPriority(policy),
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
  };
}

/**
 * How late a scheduled run started: against its due time (named by its run id) plus the policy's jitter
 * offset, or the start its windows deferred it to, never below zero. Undefined for a run id that names no
 * due time (an on-demand run).
 */
export function startLatenessMs(
  policy: Pick<PolicyConfig, 'id' | 'jitterMs'>,
  runId: string,
  startedAtMs: number,
  deferredToMs?: number,
): number | undefined {
  const dueMs = dueTimeOfRun(policy.id, runId);
  if (dueMs === undefined) return undefined;
  return Math.max(0, startedAtMs - (deferredToMs ?? dueMs + jitterOffsetMs(policy)));
}
