import type { JobSchedulerJson, Queue, RepeatOptions } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import { JOB, schedulerIdFor, type TriggerPayload } from './job-payloads.js';

export interface SchedulerChange {
  readonly policyId: string;
  readonly action: 'created' | 'updated' | 'unchanged' | 'removed';
  /** Epoch ms of the next trigger, read back from Redis; undefined for removed schedulers. */
  readonly nextMs: number | undefined;
}

const SCHEDULER_PREFIX = 'rotate-';

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
 * Makes the queue's Job Schedulers match the policies: creates or updates changed ones, removes those of
 * policies that are gone (or no longer scheduled), and leaves unchanged ones alone so their next run stands.
 */
export async function reconcileSchedulers(
  queue: Queue,
  policies: readonly PolicyConfig[],
  nowMs: number,
): Promise<SchedulerChange[]> {
  const existing = new Map<string, JobSchedulerJson>();
  for (const scheduler of await queue.getJobSchedulers()) {
    if (scheduler.key.startsWith(SCHEDULER_PREFIX)) existing.set(scheduler.key, scheduler);
  }
  const changes: SchedulerChange[] = [];
  const wantedIds = new Set<string>();
  for (const policy of policies) {
    const repeat = repeatFor(policy, nowMs);
    if (!repeat) continue;
    const id = schedulerIdFor(policy.id);
    wantedIds.add(id);
    const current = existing.get(id);
    if (current && sameSchedule(current, repeat)) {
      changes.push({ policyId: policy.id, action: 'unchanged', nextMs: current.next });
      continue;
    }
    const data: TriggerPayload = { policyId: policy.id, source: 'schedule' };
    await queue.upsertJobScheduler(id, repeat, {
      name: JOB.trigger,
      data,
      opts: {
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { count: 50 },
        removeOnFail: { count: 200 },
      },
    });
    const stored = await queue.getJobScheduler(id);
    changes.push({ policyId: policy.id, action: current ? 'updated' : 'created', nextMs: stored?.next });
  }
  for (const id of existing.keys()) {
    if (wantedIds.has(id)) continue;
    await queue.removeJobScheduler(id);
    changes.push({ policyId: id.slice(SCHEDULER_PREFIX.length), action: 'removed', nextMs: undefined });
  }
  return changes;
}
