import type { Queue } from 'bullmq';
import type { RecordRebuilder } from '../engine/ports.js';
import { type RebuildDeps, rebuildRecord } from '../engine/rebuild-record.js';
import { scheduleRevoke } from './revoke-scheduling.js';

/**
 * Rebuilds a lost record from AWS, and gives back the one irreversible act the loss took with it: the revoke
 * of an overlap policy's displaced credential (AWSPREVIOUS), scheduled again one grace period after the
 * rebuild. That revoke is checked against AWS and the rebuilt record like any other.
 */
export function recordRebuilder(deps: RebuildDeps & { readonly queue: Queue }): RecordRebuilder {
  return async (policy, signal, olderThan) => {
    const outcome = await rebuildRecord(deps, policy, signal, olderThan);
    const { record, rebuilt } = outcome;
    const displaced = record.previous;
    if (!rebuilt || !displaced || policy.capability !== 'overlap') return outcome;
    if (displaced.handle === record.current?.handle) return outcome;
    const nowMs = deps.clock.now();
    const dueAt = nowMs + policy.gracePeriodMs;
    await scheduleRevoke(deps.queue, policy, { ...displaced, dueAt }, nowMs);
    deps.log.info(
      { policyId: policy.id, versionId: displaced.versionId, dueAt: new Date(dueAt).toISOString() },
      'the revoke of the displaced credential may have been lost with Redis: scheduled again, one grace period from now',
    );
    return outcome;
  };
}
