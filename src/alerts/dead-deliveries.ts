import type { Queue } from 'bullmq';
import { deliveryPayloadSchema } from './alert-jobs.js';

export interface DeadDelivery {
  readonly deliveryId: string;
  readonly endpoint: string;
  readonly eventType: string;
  /** Absent for a daemon-wide event. */
  readonly policyId: string | undefined;
  readonly failedAt: number | undefined;
  readonly attempts: number;
  readonly reason: string;
}

/** Alert deliveries that failed their last attempt, newest first. */
export async function deadDeliveries(
  queue: Queue,
  limit = 10,
): Promise<{ readonly count: number; readonly recent: DeadDelivery[] }> {
  const count = await queue.getFailedCount();
  const jobs = await queue.getFailed(0, limit - 1);
  const recent = jobs.map((job) => {
    const payload = deliveryPayloadSchema.safeParse(job.data);
    return {
      deliveryId: job.id ?? '',
      endpoint: payload.success ? payload.data.endpoint : 'unknown',
      eventType: payload.success ? payload.data.event.type : 'unknown',
      policyId: payload.success ? payload.data.event.policyId : undefined,
      failedAt: job.finishedOn,
      attempts: job.attemptsMade,
      reason: job.failedReason,
    };
  });
  return { count, recent };
}
