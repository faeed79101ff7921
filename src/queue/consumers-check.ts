import type { Queue } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { confirmingConsumers, recheckEveryMs } from '../consumers/consumer-gate.js';
import { type ConsumersCheckPayload, JOB } from './job-payloads.js';

/** The alert comes this long before the displaced secret dies: a quarter of the grace, at most an hour. */
const alertLeadMs = (gracePeriodMs: number): number => Math.min(gracePeriodMs / 4, 3_600_000);

/**
 * After a native-grace rotation (the vendor expires the displaced secret itself, at the expiry chosen at
 * issue, and rotor cannot extend it): a job that watches the consumers' confirmations and alerts
 * `consumers.unconfirmed` ahead of that expiry when some have not confirmed. The remedy is a longer gracePeriod.
 */
export async function queueConsumersCheck(
  queue: Queue,
  policy: PolicyConfig,
  promoted: { readonly versionId: string; readonly committedAt: number },
): Promise<void> {
  if (policy.capability !== 'native-grace' || confirmingConsumers(policy.consumers).length === 0) return;
  const displacedExpiresAt = promoted.committedAt + policy.gracePeriodMs;
  const payload: ConsumersCheckPayload = {
    policyId: policy.id,
    versionId: promoted.versionId,
    displacedExpiresAt,
    alertAt: displacedExpiresAt - alertLeadMs(policy.gracePeriodMs),
  };
  await queue.add(JOB.consumersCheck, payload, {
    jobId: `consumers-check-${policy.id}-${promoted.versionId}`,
    timestamp: promoted.committedAt,
    // The first look: the consumers' first chance to have confirmed.
    delay: Math.min(recheckEveryMs(policy.consumers), Math.max(payload.alertAt - promoted.committedAt, 0)),
    attempts: policy.retry.attempts,
    stackTraceLimit: 0,
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 1000 },
  });
}
