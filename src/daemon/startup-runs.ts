import type { PolicyConfig } from '../config/rotor-config.js';
import type { PolicyRecord } from '../domain/policy-record.js';
import { mapConcurrently } from '../lib/bounded-concurrency.js';
import { nextRuns } from '../plan/next-runs.js';
import { armExpiryTimer } from '../queue/expiry-timer.js';
import type { ProcessorDeps } from '../queue/rotation-processor.js';
import { requestRotation } from '../queue/rotation-requests.js';

/** Policies checked at once at start (records, timers and queue writes in flight together). */
const STARTUP_CONCURRENCY = 16;
/** Records rebuilt from AWS at once: paced, so a fleet's rebuild leaves AWS's quota to the rotations. */
const REBUILD_CONCURRENCY = 4;
/** Records read per batch: a fleet's records are never all in memory at once. */
const RECORD_BATCH = 1_000;

export interface RebuildOutcome {
  /** Policies whose record Redis did not have, or held older than AWS: rebuilt from AWS. */
  readonly rebuilt: number;
  /** Of those, the ones due during the gap, rotated once now. */
  readonly caughtUp: number;
}

/** A policy whose record is rebuilt from AWS: none in Redis, or one older than AWS (`olderThan`). */
export interface RebuildCandidate {
  readonly policy: PolicyConfig;
  /** The record's current version, which AWS has moved past. */
  readonly olderThan?: string;
}

/**
 * At start (and after Redis lost rotor's state): re-arms before-expiry timers and rotates at once the
 * policies whose secret does not exist yet. Returns the records to rebuild from AWS, for `rebuildFromAws`:
 * policies whose secret exists while Redis has no record of them, and with `checkRecorded` (after a failover
 * that may have lost the last writes) policies whose record names another AWSCURRENT than AWS does while no
 * run is under way. Only the policies checked are looked up in the sink, all in one `inspectMany`. A failing
 * check is logged and skipped: one broken policy never stops the daemon.
 */
export async function startupRuns(
  policies: readonly PolicyConfig[],
  deps: ProcessorDeps,
  options: { readonly checkRecorded?: boolean } = {},
): Promise<RebuildCandidate[]> {
  const active = policies.filter((policy) => !policy.paused);
  const toCheck: { policy: PolicyConfig; recorded: string | undefined }[] = [];
  for (let start = 0; start < active.length; start += RECORD_BATCH) {
    const batch = active.slice(start, start + RECORD_BATCH);
    const records = await deps.records.getMany(batch.map((policy) => policy.id));
    await mapConcurrently(batch, STARTUP_CONCURRENCY, async (policy) => {
      try {
        const record = records.get(policy.id) ?? (await deps.records.get(policy.id));
        if (policy.schedule.kind !== 'manual') {
          await armExpiryTimer(deps.queue, policy, record.current?.expiresAt, deps.clock.now());
        }
        if (record.current === undefined) toCheck.push({ policy, recorded: undefined });
        else if (options.checkRecorded && record.inFlight === undefined) {
          toCheck.push({ policy, recorded: record.current.versionId });
        }
      } catch (error) {
        deps.log.error({ err: error, policyId: policy.id }, 'start-up check of this policy failed');
      }
    });
  }

  const states = await deps.sink.inspectMany(
    toCheck.map(({ policy }) => ({
      secretId: policy.secret.id,
      policyId: policy.id,
      adopt: policy.secret.adopt,
    })),
    new AbortController().signal,
  );
  const toRebuild: RebuildCandidate[] = [];
  await mapConcurrently(toCheck, STARTUP_CONCURRENCY, async ({ policy, recorded }, index) => {
    const outcome = states[index];
    try {
      if (!outcome?.ok) throw outcome?.error ?? new Error('the sink gave no answer for this policy');
      const atAws = outcome.state?.currentVersionId;
      if (recorded !== undefined) {
        if (atAws !== undefined && atAws !== recorded) toRebuild.push({ policy, olderThan: recorded });
        return;
      }
      if (atAws !== undefined) {
        toRebuild.push({ policy });
        return;
      }
      if (policy.schedule.kind === 'manual' || policy.capability === 'extend') return;
      const requested = await requestRotation(deps.queue, policy, 'initial', { nowMs: deps.clock.now() });
      deps.log.info(
        { policyId: policy.id, jobId: requested.jobId },
        'secret does not exist yet: rotating now',
      );
    } catch (error) {
      deps.log.error({ err: error, policyId: policy.id }, 'start-up check of this policy failed');
    }
  });

  return toRebuild;
}

/**
 * Rebuilds from AWS the records Redis lost or holds older than AWS, a few at a time (rotations go on
 * meanwhile; a policy a rotation, revoke or sweep reaches first is rebuilt then). A rebuilt policy that was
 * due while its record was missing runs once now, not once per missed period (its last success is when
 * AWSCURRENT was written).
 */
export async function rebuildFromAws(
  candidates: readonly RebuildCandidate[],
  deps: ProcessorDeps,
  signal: AbortSignal,
): Promise<RebuildOutcome> {
  let rebuilt = 0;
  let caughtUp = 0;
  const rebuild = deps.rebuild;
  if (!rebuild) return { rebuilt, caughtUp };
  await mapConcurrently(candidates, REBUILD_CONCURRENCY, async ({ policy, olderThan }) => {
    if (signal.aborted) return;
    try {
      const outcome = await rebuild(policy, AbortSignal.timeout(60_000), olderThan);
      if (!outcome.rebuilt) return;
      rebuilt++;
      const nowMs = deps.clock.now();
      if (policy.schedule.kind !== 'manual') {
        await armExpiryTimer(deps.queue, policy, outcome.record.current?.expiresAt, nowMs);
      }
      if (!missedWhileUnrecorded(policy, outcome.record, nowMs)) return;
      const requested = await requestRotation(deps.queue, policy, 'schedule', { nowMs });
      caughtUp++;
      deps.log.info(
        { policyId: policy.id, jobId: requested.jobId },
        'due while Redis had no record of the policy: rotating once now',
      );
    } catch (error) {
      deps.log.error({ err: error, policyId: policy.id }, 'rebuilding this policy’s record from AWS failed');
    }
  });
  return { rebuilt, caughtUp };
}

/** Whether a cron or `every` policy had a run due between its last success and now. */
function missedWhileUnrecorded(policy: PolicyConfig, record: PolicyRecord, nowMs: number): boolean {
  if (policy.schedule.kind !== 'cron' && policy.schedule.kind !== 'every') return false;
  if (record.lastSuccessAt === undefined) return false;
  const [due] = nextRuns(policy.schedule, record.lastSuccessAt, 1);
  return due !== undefined && due <= nowMs;
}
