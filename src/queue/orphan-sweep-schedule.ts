import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { JOB } from './job-payloads.js';

export const ORPHAN_SWEEP_SCHEDULER_ID = 'orphan-sweep';
export const ORPHAN_SWEEP_EVERY_MS = 60 * 60_000;

/**
 * Runs the orphan sweep hourly while some policy's provider can list what rotor made; removes it otherwise.
 * A new scheduler's first sweep is one interval after `nowMs` (BullMQ would fire a new `every` scheduler at
 * once): a daemon starting on an empty Redis does not sweep before anything could have been rebuilt.
 */
export async function scheduleOrphanSweep(
  queue: Queue,
  policies: readonly PolicyConfig[],
  nowMs: number,
): Promise<boolean> {
  const needed = policies.some(
    (policy) => !policy.paused && policy.connection.provider.listIssued !== undefined,
  );
  if (!needed) {
    await queue.removeJobScheduler(ORPHAN_SWEEP_SCHEDULER_ID);
    return false;
  }
  // Upserting again would move an existing scheduler's start: it is left as it is.
  if ((await queue.getJobScheduler(ORPHAN_SWEEP_SCHEDULER_ID))?.every === ORPHAN_SWEEP_EVERY_MS) return true;
  await queue.upsertJobScheduler(
    ORPHAN_SWEEP_SCHEDULER_ID,
    { every: ORPHAN_SWEEP_EVERY_MS, startDate: nowMs + ORPHAN_SWEEP_EVERY_MS },
    {
      name: JOB.orphanSweep,
      data: {},
      opts: { removeOnComplete: { count: 24 }, removeOnFail: { count: 100 } },
    },
  );
  return true;
}
