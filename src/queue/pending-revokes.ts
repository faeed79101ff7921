import type { Queue } from 'bullmq';
import type { PendingRevokes } from '../engine/ports.js';
import { revokeJobIdFor } from './job-payloads.js';
import { scheduleRevoke } from './revoke-scheduling.js';

/** The displaced credentials' revoke jobs, as a rollback takes one out (and puts it back if it stops). */
export function queuedRevokes(queue: Queue, now: () => number): PendingRevokes {
  return {
    async cancel(policy, revoke) {
      const job = await queue.getJob(revokeJobIdFor(policy.id, revoke.versionId));
      if (!job) return { kind: 'none' };
      const state = await job.getState();
      if (state === 'completed') return { kind: 'done' };
      // A refused or failed revoke left the credential as it was: the vendor's answer decides.
      if (state === 'failed') return { kind: 'none' };
      if (state === 'active') return { kind: 'running' };
      try {
        await job.remove();
      } catch {
        // Taken by a worker between the two reads.
        return { kind: 'running' };
      }
      return { kind: 'cancelled' };
    },
    async restore(policy, revoke) {
      const nowMs = now();
      await scheduleRevoke(queue, policy, { ...revoke, dueAt: nowMs + policy.gracePeriodMs }, nowMs);
    },
  };
}
