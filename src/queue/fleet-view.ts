import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import type { PolicyRecord } from '../domain/policy-record.js';
import type { RecordStore } from '../engine/ports.js';
import { type CorruptJob, readJob, SkippedJobs } from './corrupt-jobs.js';
import { dueTimeOf, firesAtOf } from './jittered-firing.js';
import { expiryJobIdFor, schedulerIdFor } from './job-payloads.js';
import {
  nextRunOf,
  type PendingRotations,
  type PolicyStatus,
  pendingRotations,
  statusOf,
} from './policy-status.js';

/** Every policy's record, next run and pending job, read in a handful of round trips whatever the fleet's size. */
export interface FleetView {
  record(policyId: string): Promise<PolicyRecord>;
  /**
   * When the policy's next run is due, or starts when its windows defer it (undefined when paused or nothing
   * is scheduled).
   */
  nextRunAt(policy: PolicyConfig): number | undefined;
  /** When the policy's next run is due, whatever its windows say. */
  nextDueAt(policy: PolicyConfig): number | undefined;
  /** When the trigger of that run fires: a jittered cron or before-expiry trigger fires its offset later. */
  nextFiringAt(policy: PolicyConfig): number | undefined;
  readonly pending: PendingRotations;
  /** Jobs met whose hash does not parse: left out of the view (one corrupt job does not fail the fleet's). */
  readonly corruptJobs: readonly CorruptJob[];
}

/**
 * Reads the fleet for status pages, metrics and the alert sweep: records by MGET, every Job Scheduler in one
 * listing, before-expiry timers concurrently. A policy per round trip would take minutes at 100,000 policies.
 */
export async function readFleet(
  queue: Queue,
  records: RecordStore,
  policies: readonly PolicyConfig[],
): Promise<FleetView> {
  const timerPolicies = policies.filter((policy) => policy.schedule.kind === 'beforeExpiry');
  const skipped = new SkippedJobs();
  const [stored, schedulers, timers, pending] = await Promise.all([
    records.getMany(policies.map((policy) => policy.id)),
    queue.getJobSchedulers(),
    Promise.all(timerPolicies.map((policy) => readJob(queue, expiryJobIdFor(policy.id), skipped))),
    pendingRotations(queue, skipped),
  ]);
  /** Each trigger's firing time, and the data that says how long after its run's due time that is. */
  const nextBySchedulerId = new Map<string, { readonly firesAtMs: number; readonly data: unknown }>();
  for (const scheduler of schedulers) {
    if (scheduler.next !== undefined)
      nextBySchedulerId.set(scheduler.key, { firesAtMs: scheduler.next, data: scheduler.template?.data });
  }
  const nextByTimer = new Map<string, { readonly firesAtMs: number; readonly data: unknown }>();
  timerPolicies.forEach((policy, i) => {
    const timer = timers[i];
    if (timer) nextByTimer.set(policy.id, { firesAtMs: firesAtOf(timer), data: timer.data });
  });
  const nextFiring = (policy: PolicyConfig) => {
    if (policy.paused) return undefined;
    if (policy.schedule.kind === 'beforeExpiry') return nextByTimer.get(policy.id);
    return nextBySchedulerId.get(schedulerIdFor(policy.id));
  };
  const nextDueAt = (policy: PolicyConfig) => {
    const firing = nextFiring(policy);
    return firing && dueTimeOf(firing.firesAtMs, firing.data);
  };
  return {
    // A record MGET could not parse is read alone, so its error names the policy as before.
    record: async (policyId) => stored.get(policyId) ?? records.get(policyId),
    nextRunAt: (policy) =>
      policy.paused
        ? undefined
        : nextRunOf(
            policy,
            nextDueAt(policy),
            pending.get(policy.id),
            stored.get(policy.id)?.current?.expiresAt,
          )?.atMs,
    nextDueAt,
    nextFiringAt: (policy) => nextFiring(policy)?.firesAtMs,
    pending,
    corruptJobs: skipped.list(),
  };
}

/** Every policy's status (in the order given) and the corrupt jobs the read skipped. */
export interface FleetStatus {
  readonly statuses: PolicyStatus[];
  readonly corruptJobs: readonly CorruptJob[];
}

/** The status of each policy, as `rotor status` and `GET /v1/policies` show it. */
export async function fleetStatuses(
  queue: Queue,
  records: RecordStore,
  policies: readonly PolicyConfig[],
): Promise<FleetStatus> {
  const fleet = await readFleet(queue, records, policies);
  const statuses: PolicyStatus[] = [];
  for (const policy of policies) {
    const record = await fleet.record(policy.id);
    statuses.push(statusOf(policy, record, fleet.nextDueAt(policy), fleet.pending.get(policy.id)));
  }
  return { statuses, corruptJobs: fleet.corruptJobs };
}
