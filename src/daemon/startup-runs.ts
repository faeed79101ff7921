import type { PolicyConfig } from '../config/rotor-config.js';
import { mapConcurrently } from '../lib/bounded-concurrency.js';
import { armExpiryTimer } from '../queue/expiry-timer.js';
import type { ProcessorDeps } from '../queue/rotation-processor.js';
import { requestRotation } from '../queue/rotation-requests.js';

/** Policies checked at once at start (records, timers and queue writes in flight together). */
const STARTUP_CONCURRENCY = 16;
/** Records read per batch: a fleet's records are never all in memory at once. */
const RECORD_BATCH = 1_000;

/**
 * At start: re-arms before-expiry timers and rotates at once only the policies whose secret does not exist
 * yet (a new or changed schedule otherwise waits for its next run). Only policies rotor has never
 * committed are looked up in the sink, all in one `inspectMany`: one that has a current credential had its
 * secret at that commit (were it deleted since, its next run creates it again). A failing check is logged
 * and skipped: one broken policy never stops the daemon.
 */
export async function startupRuns(policies: readonly PolicyConfig[], deps: ProcessorDeps): Promise<void> {
  const scheduled = policies.filter((policy) => !policy.paused && policy.schedule.kind !== 'manual');
  const neverCommitted: PolicyConfig[] = [];
  for (let start = 0; start < scheduled.length; start += RECORD_BATCH) {
    const batch = scheduled.slice(start, start + RECORD_BATCH);
    const records = await deps.records.getMany(batch.map((policy) => policy.id));
    await mapConcurrently(batch, STARTUP_CONCURRENCY, async (policy) => {
      try {
        const record = records.get(policy.id) ?? (await deps.records.get(policy.id));
        await armExpiryTimer(deps.queue, policy, record.current?.expiresAt, deps.clock.now());
        if (policy.capability !== 'extend' && record.current === undefined) neverCommitted.push(policy);
      } catch (error) {
        deps.log.error({ err: error, policyId: policy.id }, 'start-up check of this policy failed');
      }
    });
  }

  const states = await deps.sink.inspectMany(
    neverCommitted.map((policy) => ({
      secretId: policy.secret.id,
      policyId: policy.id,
      adopt: policy.secret.adopt,
    })),
    new AbortController().signal,
  );
  await mapConcurrently(neverCommitted, STARTUP_CONCURRENCY, async (policy, index) => {
    const outcome = states[index];
    try {
      if (!outcome?.ok) throw outcome?.error ?? new Error('the sink gave no answer for this policy');
      if (outcome.state?.currentVersionId !== undefined) return;
      const requested = await requestRotation(deps.queue, policy, 'initial', { nowMs: deps.clock.now() });
      deps.log.info(
        { policyId: policy.id, jobId: requested.jobId },
        'secret does not exist yet: rotating now',
      );
    } catch (error) {
      deps.log.error({ err: error, policyId: policy.id }, 'start-up check of this policy failed');
    }
  });
}
