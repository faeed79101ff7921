import type { Job } from 'bullmq';
import { alertConsumersUnconfirmed } from '../alerts/rotation-alerts.js';
import type { PolicyConfig } from '../config/rotor-config.js';
import { consumerVerdict, recheckEveryMs } from '../consumers/consumer-gate.js';
import type { ConsumerStateStore } from '../consumers/consumer-state.js';
import type { PolicyRecord } from '../domain/policy-record.js';
import type { Logger } from '../lib/logger.js';
import { ROTOR_LABEL } from '../sinks/sink.js';
import { delayJob } from './failure-policy.js';
import type { RevokePayload } from './job-payloads.js';
import type { ProcessorDeps } from './processor-deps.js';

/**
 * The revoke may go; `releaseHold`: the consumers confirmed, so a hold they caused is lifted first. `record`:
 * the policy's record as the gate read it (rebuilt if Redis lost it), which the revoke need not read again.
 */
export interface ConsumerGateOutcome {
  readonly releaseHold: boolean;
  readonly record: PolicyRecord;
}

/**
 * The consumer gate of a revoke: the displaced credential is revoked once every consumer with a confirmation
 * uses the current version; until the policy's maxGrace passes the job waits (delayed, no attempt spent,
 * looking again at each consumer's poll interval, or at once when an ack arrives). After maxGrace it is
 * revoked (`onUnconfirmed: revoke`) or held: labelled `rotor-held-<version>` at AWS (so neither a revoke nor
 * the orphan sweep takes it, even if Redis forgets), recorded, alerted once, and the job keeps waiting for the
 * confirmations that release it. Throws DelayedError while it waits.
 */
export async function passConsumerGate(
  deps: ProcessorDeps & { readonly consumers: ConsumerStateStore },
  job: Job,
  token: string | undefined,
  policy: PolicyConfig,
  payload: RevokePayload,
  log: Logger,
): Promise<ConsumerGateOutcome> {
  const signal = new AbortController().signal;
  const read = await deps.records.get(policy.id);
  const record = read.revision === 0 && deps.rebuild ? (await deps.rebuild(policy, signal)).record : read;
  const states = await deps.consumers.read(policy.id);
  const held = states.held.some((version) => version.versionId === payload.versionId);
  const verdict = await consumerVerdict(
    { consumers: deps.consumers, clock: deps.clock, log },
    {
      policyId: policy.id,
      consumers: policy.consumers,
      currentVersionId: record.current?.versionId,
      deadlineMs: (payload.displacedAt ?? job.timestamp) + (policy.consumers?.maxGraceMs ?? 0),
      states,
    },
  );
  if (verdict.kind === 'confirmed') return { releaseHold: true, record };
  const alertOf = (outcome: 'held' | 'revoked') =>
    deps.alerts
      ? alertConsumersUnconfirmed(deps.alerts, policy, {
          displacedVersionId: payload.versionId,
          currentVersionId: record.current?.versionId,
          unconfirmed: verdict.unconfirmed,
          outcome,
        })
      : Promise.resolve();
  if (verdict.kind === 'overdue' && policy.consumers?.onUnconfirmed === 'revoke') {
    log.warn(
      { versionId: payload.versionId, unconfirmed: verdict.unconfirmed },
      'maxGrace passed without every consumer confirming: revoking (onUnconfirmed: revoke)',
    );
    await alertOf('revoked');
    return { releaseHold: false, record };
  }
  let untilMs: number;
  if (verdict.kind === 'overdue') {
    if (!held) {
      const target = { secretId: policy.secret.id, policyId: policy.id, adopt: policy.secret.adopt };
      await deps.sink.attachLabel(target, payload.versionId, ROTOR_LABEL.held(payload.versionId), signal);
      await deps.consumers.hold(policy.id, {
        versionId: payload.versionId,
        handle: payload.handle,
        since: deps.clock.now(),
        unconfirmed: [...verdict.unconfirmed],
      });
      log.warn(
        { versionId: payload.versionId, unconfirmed: verdict.unconfirmed },
        'maxGrace passed without every consumer confirming: the displaced credential is held (kept live)',
      );
      await alertOf('held');
    }
    untilMs = deps.clock.now() + recheckEveryMs(policy.consumers);
  } else {
    untilMs = verdict.untilMs;
    log.info(
      {
        versionId: payload.versionId,
        unconfirmed: verdict.unconfirmed,
        until: new Date(untilMs).toISOString(),
      },
      'revoke waits for consumers to confirm the new version',
    );
  }
  deps.observe?.({
    policyId: policy.id,
    runId: job.id ?? payload.versionId,
    step: verdict.kind === 'overdue' ? 'held' : 'awaiting-consumers',
    versionId: payload.versionId,
    note: verdict.unconfirmed.join(', '),
  });
  return delayJob(job, token, untilMs, `waiting for consumers ${verdict.unconfirmed.join(', ')}`);
}
