import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { JOB, type ReloadPayload, reloadJobIdFor } from './job-payloads.js';

const KEEP_DELIVERED = { age: 7 * 24 * 3600, count: 1_000 };

/**
 * Queues one reload hook per consumer that has one, for the version just promoted. The job id is stable per
 * version and consumer (and rollback: a version a rollback restores is announced again), so a re-delivered
 * job does not call a consumer twice.
 */
export async function queueReloadHooks(
  queue: Queue,
  policy: PolicyConfig,
  promoted: {
    readonly versionId: string;
    readonly secretArn?: string | undefined;
    /** The rollback that made the version current again. */
    readonly rollbackRunId?: string;
  },
): Promise<void> {
  for (const consumer of policy.consumers?.list ?? []) {
    if (!consumer.reload) continue;
    const payload: ReloadPayload = {
      policyId: policy.id,
      consumer: consumer.name,
      versionId: promoted.versionId,
      ...(promoted.secretArn === undefined ? {} : { secretArn: promoted.secretArn }),
    };
    await queue.add(JOB.reload, payload, {
      jobId: reloadJobIdFor(policy.id, promoted.versionId, consumer.name, promoted.rollbackRunId),
      attempts: consumer.reload.attempts,
      backoff: { type: 'exponential', delay: 1_000 },
      stackTraceLimit: 0,
      removeOnComplete: KEEP_DELIVERED,
      removeOnFail: { count: 1_000 },
    });
  }
}
