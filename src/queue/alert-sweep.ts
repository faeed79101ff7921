import type { Queue } from 'bullmq';
import type { AlertSink } from '../alerts/alert-publisher.js';
import type { PolicyConfig } from '../config/rotor-config.js';
import type { RecordStore } from '../engine/ports.js';
import type { Clock } from '../lib/clock.js';
import type { CorruptJobLog } from './corrupt-jobs.js';
import { readFleet } from './fleet-view.js';
import { schedulerIdFor } from './job-payloads.js';

/** The Job Scheduler that runs the sweep, and how often. */
export const SWEEP_SCHEDULER_ID = 'alerts-sweep';
export const SWEEP_EVERY_MS = 10 * 60_000;
/** A scheduler whose next firing is this far in the past has stopped firing. */
const STALLED_AFTER_MS = 60_000;

export interface SweepDeps {
  readonly queue: Queue;
  readonly records: RecordStore;
  readonly policies: ReadonlyMap<string, PolicyConfig>;
  readonly alerts: AlertSink;
  readonly clock: Clock;
  /** Logs each corrupt job the sweep skipped, once. */
  readonly corruptJobs: CorruptJobLog;
}

/**
 * The periodic look for trouble no run reports: a credential that expires soon with no rotation due before
 * it, and a schedule that stopped firing. Event ids are stable per expiry and per missed run, so a
 * condition that persists across sweeps is delivered once.
 */
export async function sweepAlerts(deps: SweepDeps): Promise<number> {
  let raised = 0;
  const now = deps.clock.now();
  // A job whose hash does not parse is left out of the fleet's view (and logged): the sweep goes on without it.
  const fleet = await readFleet(deps.queue, deps.records, [...deps.policies.values()]);
  deps.corruptJobs.note(fleet.corruptJobs);
  for (const policy of deps.policies.values()) {
    if (policy.paused) continue;
    const about = {
      policyId: policy.id,
      provider: policy.connection.provider.id,
      secretId: policy.secret.id,
    };
    const next = fleet.nextRunAt(policy);
    const expiresAt = (await fleet.record(policy.id)).current?.expiresAt;
    if (
      expiresAt !== undefined &&
      expiresAt - now <= deps.alerts.expiringWithinMs &&
      (next === undefined || next >= expiresAt)
    ) {
      await deps.alerts.publish({
        ...about,
        id: `credential.expiring-${policy.id}-${expiresAt}`,
        type: 'credential.expiring',
        details: {
          expiresAt: new Date(expiresAt).toISOString(),
          ...(next === undefined ? {} : { nextRunAt: new Date(next).toISOString() }),
        },
      });
      raised += 1;
    }
    const scheduled = policy.schedule.kind === 'cron' || policy.schedule.kind === 'every';
    // A jittered trigger fires its offset after the due time: a due time in the past is not yet a stall.
    const firesAt = fleet.nextFiringAt(policy);
    if (scheduled && (firesAt === undefined || firesAt < now - STALLED_AFTER_MS)) {
      const scheduler = await deps.queue.getJobScheduler(schedulerIdFor(policy.id));
      await deps.alerts.publish({
        ...about,
        id: `schedule.stalled-${policy.id}-${next ?? 'missing'}`,
        type: 'schedule.stalled',
        details: scheduler ? { nextRunAt: new Date(next ?? 0).toISOString() } : { scheduler: 'missing' },
      });
      raised += 1;
    }
  }
  return raised;
}
