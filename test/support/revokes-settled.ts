import type { Queue } from 'bullmq';
import { JOB } from '../../src/queue/job-payloads.js';
import { eventually } from './eventually.js';

/**
 * Waits until no revoke job is pending or running on rotor's queue: every displaced credential whose grace
 * has begun has been retired (or its revoke failed, which the caller checks).
 */
export async function revokesSettled(queue: Queue, deadlineMs = 60_000): Promise<void> {
  await eventually(
    'every revoke of a displaced credential to have run',
    async () => {
      const pending = await queue.getJobs(['delayed', 'waiting', 'active', 'prioritized']);
      return pending.some((job) => job.name === JOB.revoke) ? undefined : true;
    },
    deadlineMs,
  );
}
