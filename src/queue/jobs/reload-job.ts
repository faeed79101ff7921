import { type Job, UnrecoverableError } from 'bullmq';
import { alertReloadFailed } from '../../alerts/rotation-alerts.js';
import { postSigned } from '../../lib/signed-post.js';
import { reloadPayloadSchema } from '../job-payloads.js';
import { type ProcessorDeps, parse, policyFor } from '../processor-deps.js';

/**
 * Calls one consumer's reload hook: a Standard Webhooks message signed with the consumer's own secret, carrying
 * ids only (policy, AWS secret id and ARN, new version id). 2xx means "reloading"; anything else is retried
 * with backoff, and the last failure is recorded and alerted.
 */
export async function reload(deps: ProcessorDeps, job: Job): Promise<number> {
  const payload = parse(job, reloadPayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  const consumer = policy.consumers?.list.find((candidate) => candidate.name === payload.consumer);
  if (!consumer?.reload)
    throw new UnrecoverableError(
      `reload job for consumer ${payload.consumer} of policy ${policy.id}, which has no reload hook in the config`,
    );
  const at = new Date(deps.clock.now());
  const body = JSON.stringify({
    type: 'secret.rotated',
    timestamp: at.toISOString(),
    data: {
      policyId: policy.id,
      consumer: consumer.name,
      secretId: policy.secret.id,
      ...(payload.secretArn === undefined ? {} : { secretArn: payload.secretArn }),
      versionId: payload.versionId,
    },
  });
  const outcome = await postSigned(consumer.reload.url, {
    id: `msg_reload_${payload.versionId}_${consumer.name}`,
    at,
    body,
    secret: consumer.reload.secret,
    timeoutMs: consumer.reload.timeoutMs,
    userAgent: 'rotor-consumers',
  });
  const log = deps.log.child({ policyId: policy.id, consumer: consumer.name, versionId: payload.versionId });
  if ('status' in outcome && outcome.status >= 200 && outcome.status < 300) {
    await deps.consumers?.reloaded(policy.id, consumer.name, {
      versionId: payload.versionId,
      at: deps.clock.now(),
      outcome: 'reloading',
    });
    log.info({ status: outcome.status }, 'consumer reload hook accepted');
    return outcome.status;
  }
  const reason =
    'status' in outcome
      ? `reload hook answered HTTP ${outcome.status}`
      : `reload hook did not answer (${outcome.unreachable})`;
  const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  log[final ? 'error' : 'warn']({ reason, final }, 'consumer reload hook failed');
  if (final) {
    await deps.consumers?.reloaded(policy.id, consumer.name, {
      versionId: payload.versionId,
      at: deps.clock.now(),
      outcome: 'failed',
      error: reason,
    });
    if (deps.alerts)
      await alertReloadFailed(deps.alerts, policy, {
        consumer: consumer.name,
        versionId: payload.versionId,
        reason,
      });
  }
  throw new Error(`policy ${policy.id}: consumer ${consumer.name}: ${reason}`);
}
