import type { Job, Queue } from 'bullmq';
import { eventually } from './eventually.js';

/** The job once it is completed or failed, read after it finished (so its return value is there). */
export async function finishedJob(queue: Queue, jobId: string, deadlineMs?: number): Promise<Job> {
  await eventually(
    `job ${jobId} to finish`,
    async () => {
      const state = await queue.getJobState(jobId);
      return state === 'completed' || state === 'failed' ? true : undefined;
    },
    deadlineMs,
  );
  const job = await queue.getJob(jobId);
  if (!job) throw new Error(`job ${jobId} finished and was removed`);
  return job;
}
