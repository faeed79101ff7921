import type { Job } from 'bullmq';
import { alertConsumersUnconfirmed } from '../../alerts/rotation-alerts.js';
import { consumerVerdict } from '../../consumers/consumer-gate.js';
import { delayJob } from '../failure-policy.js';
import { consumersCheckPayloadSchema } from '../job-payloads.js';
import { type ProcessorDeps, parse, policyFor } from '../processor-deps.js';

/**
 * Watches whether the consumers of a native-grace policy confirmed the promoted version before the displaced
 * secret dies: confirmed → done; not yet → look again (delayed, no attempt spent); at `alertAt` still not →
 * `consumers.unconfirmed` (outcome `expires`, with the expiry) and done. A newer rotation ends the watch.
 */
export async function consumersCheck(
  deps: ProcessorDeps,
  job: Job,
  token: string | undefined,
): Promise<string> {
  const payload = parse(job, consumersCheckPayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  if (!deps.consumers) return 'no consumer state';
  const record = await deps.records.get(policy.id);
  if (record.current !== undefined && record.current.versionId !== payload.versionId)
    return 'superseded: a newer rotation is watched instead';
  const log = deps.log.child({ policyId: policy.id, step: 'consumers-check', versionId: payload.versionId });
  const verdict = await consumerVerdict(
    { consumers: deps.consumers, clock: deps.clock, log },
    {
      policyId: policy.id,
      consumers: policy.consumers,
      currentVersionId: payload.versionId,
      deadlineMs: payload.alertAt,
      states: await deps.consumers.read(policy.id),
    },
  );
  if (verdict.kind === 'confirmed') return 'confirmed';
  if (verdict.kind === 'waiting') {
    return delayJob(job, token, verdict.untilMs, `waiting for consumers ${verdict.unconfirmed.join(', ')}`);
  }
  log.error(
    {
      unconfirmed: verdict.unconfirmed,
      displacedExpiresAt: new Date(payload.displacedExpiresAt).toISOString(),
    },
    'consumers have not confirmed the new version, and the displaced secret dies at the expiry set at issue (a longer gracePeriod gives them more time)',
  );
  if (deps.alerts)
    await alertConsumersUnconfirmed(deps.alerts, policy, {
      displacedVersionId: record.previous?.versionId,
      currentVersionId: payload.versionId,
      unconfirmed: verdict.unconfirmed,
      outcome: 'expires',
      expiresAt: payload.displacedExpiresAt,
    });
  return `alerted: ${verdict.unconfirmed.join(', ')} unconfirmed`;
}
