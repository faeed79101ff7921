import type { PolicyConfig } from '../config/rotor-config.js';
import { armExpiryTimer } from '../queue/expiry-timer.js';
import type { ProcessorDeps } from '../queue/rotation-processor.js';
import { requestRotation } from '../queue/rotation-requests.js';

/**
 * At start: re-arms before-expiry timers and rotates at once only the policies whose secret does not exist
 * yet (a new or changed schedule otherwise waits for its next run). A failing check is logged and skipped:
 * one broken policy never stops the daemon.
 */
export async function startupRuns(policies: readonly PolicyConfig[], deps: ProcessorDeps): Promise<void> {
  for (const policy of policies) {
    if (policy.paused || policy.schedule.kind === 'manual') continue;
    const target = { secretId: policy.secret.id, policyId: policy.id, adopt: policy.secret.adopt };
    try {
      const record = await deps.records.get(policy.id);
      await armExpiryTimer(deps.queue, policy, record.current?.expiresAt, deps.clock.now());
      if (policy.capability === 'extend') continue;
      const state = await deps.sink.inspect(target, AbortSignal.timeout(60_000));
      if (state?.currentVersionId === undefined) {
        const requested = await requestRotation(deps.queue, policy, 'initial', { nowMs: deps.clock.now() });
        deps.log.info(
          { policyId: policy.id, jobId: requested.jobId },
          'secret does not exist yet: rotating now',
        );
      }
    } catch (error) {
      deps.log.error({ err: error, policyId: policy.id }, 'start-up check of this policy failed');
    }
  }
}
