import type { JobSchedulerJson, Queue, RepeatOptions } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { mapConcurrently } from '../lib/bounded-concurrency.js';
import { JOB, schedulerIdFor, type TriggerPayload } from './job-payloads.js';

export interface SchedulerChange {
  readonly policyId: string;
  readonly action: 'created' | 'updated' | 'unchanged' | 'removed';
  /** Epoch ms of the next trigger, as BullMQ placed it; undefined for removed schedulers. */
  readonly nextMs: number | undefined;
}

const SCHEDULER_PREFIX = 'rotate-';
/** Scheduler writes in flight at once (pipelined over the queue's connection). */
const RECONCILE_CONCURRENCY = 64;

/** The Job Scheduler a policy needs, or undefined when it is not driven by a BullMQ schedule. */
export function repeatFor(policy: PolicyConfig, nowMs: number): Omit<RepeatOptions, 'key'> | undefined {
  if (policy.paused) return undefined;
  switch (policy.schedule.kind) {
    case 'cron':
      return { pattern: policy.schedule.pattern, tz: policy.schedule.tz };
    case 'every':
      // A new `every` scheduler would fire at once; the first run is one interval from now instead.
      return { every: policy.schedule.everyMs, startDate: nowMs + policy.schedule.everyMs };
    case 'beforeExpiry':
    case 'manual':
      return undefined;
  }
}

function sameSchedule(existing: JobSchedulerJson, wanted: Omit<RepeatOptions, 'key'>): boolean {
  return (
    (existing.pattern ?? undefined) === wanted.pattern &&
    (existing.tz ?? undefined) === wanted.tz &&
    (existing.every === undefined ? undefined : Number(existing.every)) === wanted.every
  );
}

/**
 * The ids of the queue's Job Schedulers, read from the set BullMQ indexes them in. `getJobSchedulers()` would
 * load every scheduler's data at once (for 100,000 policies, some 100 MB); each is read here as it is compared.
 */
async function schedulerIds(queue: Queue): Promise<string[]> {
  const client = await queue.getBackend().client;
  return client.zrange(queue.toKey('repeat'), 0, -1);
}

/**
 * Makes the queue's Job Schedulers match the policies: creates or updates changed ones, removes those of
 * policies that are gone (or no longer scheduled), and leaves unchanged ones alone so their next run stands.
 */
export async function reconcileSchedulers(
  queue: Queue,
  policies: readonly PolicyConfig[],
  nowMs: number,
): Promise<SchedulerChange[]> {
  const existing = new Set((await schedulerIds(queue)).filter((id) => id.startsWith(SCHEDULER_PREFIX)));
  const wanted = policies.flatMap((policy) => {
    const repeat = repeatFor(policy, nowMs);
    return repeat ? [{ policy, repeat, id: schedulerIdFor(policy.id) }] : [];
  });
  const wantedIds = new Set(wanted.map(({ id }) => id));
  const upserted = await mapConcurrently(
    wanted,
    RECONCILE_CONCURRENCY,
    async ({ policy, repeat, id }): Promise<SchedulerChange> => {
      const current = existing.has(id) ? await queue.getJobScheduler(id) : undefined;
      if (current && sameSchedule(current, repeat)) {
        return { policyId: policy.id, action: 'unchanged', nextMs: current.next };
      }
      const data: TriggerPayload = { policyId: policy.id, source: 'schedule' };
      const job = await queue.upsertJobScheduler(id, repeat, {
        name: JOB.trigger,
        data,
        opts: {
          attempts: 3,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { count: 50 },
          removeOnFail: { count: 200 },
        },
      });
      // A cron scheduler's next run is the time BullMQ computed for the job it just added; an `every` one is
      // placed by BullMQ's script, so it is read back.
      const nextMs =
        repeat.pattern !== undefined && job?.opts.prevMillis !== undefined
          ? job.opts.prevMillis
          : (await queue.getJobScheduler(id))?.next;
      return { policyId: policy.id, action: current ? 'updated' : 'created', nextMs };
    },
  );
  const unwanted = [...existing].filter((id) => !wantedIds.has(id));
  const removed = await mapConcurrently(unwanted, RECONCILE_CONCURRENCY, async (id) => {
    await queue.removeJobScheduler(id);
    return { policyId: id.slice(SCHEDULER_PREFIX.length), action: 'removed', nextMs: undefined } as const;
  });
  return [...upserted, ...removed];
}
