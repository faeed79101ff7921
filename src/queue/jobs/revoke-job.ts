import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { alertRevocationFailed, alertRevocationRefused } from '../../alerts/rotation-alerts.js';
import { confirmingConsumers } from '../../consumers/consumer-gate.js';
import { isRotationError } from '../../domain/errors.js';
import { revokeDisplaced } from '../../engine/revoke-displaced.js';
import { logUnexpected } from '../../lib/unexpected-error.js';
import { passConsumerGate } from '../consumer-wait.js';
import { applyFailure, asRotationError, isFinalFailure, throttleBackoff } from '../failure-policy.js';
import { releaseHold } from '../hold-release.js';
import { revokePayloadSchema } from '../job-payloads.js';
import { type ProcessorDeps, parse, policyFor } from '../processor-deps.js';

/** Revokes a displaced credential once its grace period is over; a final failure alerts. */
export async function revoke(deps: ProcessorDeps, job: Job, token: string | undefined): Promise<string> {
  const payload = parse(job, revokePayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  const log = deps.log.child({ policyId: policy.id, step: 'revoke' });
  try {
    const { consumers } = deps;
    const gated = consumers !== undefined && confirmingConsumers(policy.consumers).length > 0;
    const gate = gated
      ? await passConsumerGate({ ...deps, consumers }, job, token, policy, payload, log)
      : // Nobody left to wait for (the confirming consumers were removed from the config): a hold they
        // caused is released with the revoke.
        { releaseHold: true };
    const outcome = await revokeDisplaced(
      deps,
      {
        policy,
        handle: payload.handle,
        versionId: payload.versionId,
        releaseHold: gate.releaseHold,
        ...('record' in gate ? { record: gate.record } : {}),
      },
      {
        http: deps.http(policy.connection),
        log,
        signal: new AbortController().signal,
        clock: deps.clock,
        policyId: policy.id,
        runId: job.id ?? payload.versionId,
      },
    );
    if (typeof outcome === 'object') {
      log.error(
        { handle: payload.handle, versionId: payload.versionId, reason: outcome.refused },
        'revoke refused: nothing was revoked',
      );
      if (deps.alerts) {
        await alertRevocationRefused(deps.alerts, policy, {
          versionId: payload.versionId,
          handle: payload.handle,
          reason: outcome.refused,
        });
      }
      throw new UnrecoverableError(`revoke refused: ${outcome.refused}`);
    }
    log.info({ handle: payload.handle, outcome }, 'displaced credential revoked');
    // A hold outlives its consumers' removal from the config: it is forgotten with the revoke either way.
    await releaseHold(deps, policy, payload.versionId, log);
    deps.observe?.({
      policyId: policy.id,
      runId: job.id ?? '',
      step: 'revoke',
      versionId: payload.versionId,
      note: outcome,
    });
    return outcome;
  } catch (caught) {
    if (caught instanceof UnrecoverableError || caught instanceof DelayedError) throw caught;
    if (!isRotationError(caught)) {
      logUnexpected(log, caught, { jobId: job.id }, 'unexpected failure in a revoke job');
    }
    const error = asRotationError(caught, deps.redactor);
    const final = isFinalFailure(error, job.attemptsMade, job.opts.attempts ?? 1, deps.clock.now());
    log[final ? 'error' : 'warn']({ err: error, final }, 'revoke failed');
    if (final && deps.alerts) {
      await alertRevocationFailed(deps.alerts, policy, { versionId: payload.versionId, error });
    }
    return applyFailure(job, token, error, deps.clock.now(), throttleBackoff(job, policy.retry));
  }
}
