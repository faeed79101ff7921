import { isDeepStrictEqual } from 'node:util';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PolicyConfig } from '../config/rotor-config.js';
import { mapConcurrently } from '../lib/bounded-concurrency.js';
import { LuaScript } from '../lib/lua-script.js';
import { type FiringRepeatOptions, firesAfterDueMs } from './jittered-firing.js';
import { JOB, schedulerIdFor, type TriggerPayload } from './job-payloads.js';
import { triggerJobOptions } from './trigger-timing.js';

export interface SchedulerChange {
  readonly policyId: string;
  readonly action: 'created' | 'updated' | 'unchanged' | 'removed';
  /** Epoch ms the next run is due, as BullMQ placed its trigger; undefined for removed schedulers. */
  readonly nextMs: number | undefined;
}

const SCHEDULER_PREFIX = 'rotate-';
/** Scheduler writes in flight at once (pipelined over the queue's connection). */
const RECONCILE_CONCURRENCY = 64;
/** Schedulers read per script call when comparing. */
const READ_BATCH = 1_000;
/** Script calls in flight at once, so that the client reads one batch while Redis runs the next. */
const READ_CONCURRENCY = 4;
/** The fields of each KEYS hash that say what it repeats on, flattened: FIELDS.length replies per key. */
const FIELDS = ['name', 'pattern', 'tz', 'every', 'data', 'opts'] as const;
const READ_FIELDS = new LuaScript(`
local out = {}
for i, key in ipairs(KEYS) do
  local values = redis.call('HMGET', key, unpack(ARGV))
  for j = 1, #ARGV do out[(i - 1) * #ARGV + j] = values[j] end
end
return out
`);

/** The Job Scheduler a policy needs, or undefined when it is not driven by a BullMQ schedule. */
export function repeatFor(policy: PolicyConfig, nowMs: number): FiringRepeatOptions | undefined {
  if (policy.paused) return undefined;
  switch (policy.schedule.kind) {
    case 'cron': {
      const offsetMs = firesAfterDueMs(policy);
      return {
        pattern: policy.schedule.pattern,
        tz: policy.schedule.tz,
        ...(offsetMs > 0 ? { firesAfterDueMs: offsetMs } : {}),
      };
    }
    case 'every':
      // A new `every` scheduler would fire at once; the first run is one interval from now instead.
      return { every: policy.schedule.everyMs, startDate: nowMs + policy.schedule.everyMs };
    case 'beforeExpiry':
    case 'manual':
      return undefined;
  }
}

/**
 * The queue, and the connection it uses, for reads BullMQ has no batch call for (not a pipelining one: these
 * replies are large, and a warm reconcile of 100,000 took 1.7–2.4 s through auto-pipelining against 1.3–1.7 s).
 */
export interface SchedulerStore {
  readonly queue: Queue;
  readonly queueConnection: Redis;
}

/**
 * A rotor Job Scheduler as the reconcile reads it: from the keys BullMQ keeps it in (the `repeat` sorted set
 * and the `repeat:<id>` hash), not through BullMQ's API, whose layout this relies on (see the view's test).
 */
export interface StoredScheduler {
  readonly id: string;
  /** When it next fires, epoch ms: its score in the sorted set. */
  readonly nextMs: number;
  readonly name: string | undefined;
  readonly pattern: string | undefined;
  readonly tz: string | undefined;
  readonly every: number | undefined;
  /** The template's data and options, as the JSON BullMQ stored. */
  readonly data: string | undefined;
  readonly opts: string | undefined;
}

type StoredFields = Omit<StoredScheduler, 'id' | 'nextMs'>;

interface WantedScheduler {
  readonly id: string;
  readonly policy: PolicyConfig;
  readonly repeat: FiringRepeatOptions;
}

/** The payload of the trigger jobs a scheduler adds: the firing offset is the one its repeat options carry. */
function templateData({ policy, repeat }: WantedScheduler): TriggerPayload {
  const offsetMs = repeat.firesAfterDueMs ?? 0;
  return { policyId: policy.id, source: 'schedule', ...(offsetMs > 0 ? { firesAfterDueMs: offsetMs } : {}) };
}

/** The options of the trigger jobs a policy's scheduler adds. */
function templateOpts(policy: PolicyConfig) {
  return { ...triggerJobOptions(policy), removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } };
}

/** Compared parsed: BullMQ's script re-encodes the options, in no fixed key order. */
function sameJson(stored: string | null | undefined, wanted: object): boolean {
  if (stored === null || stored === undefined) return false;
  try {
    return isDeepStrictEqual(JSON.parse(stored), wanted);
  } catch {
    return false;
  }
}

/** Each rotor scheduler's id and next fire time, from the sorted set BullMQ indexes them in. */
async function schedulerNextTimes({
  queue,
  queueConnection: redis,
}: SchedulerStore): Promise<Map<string, number>> {
  const flat = await redis.zrange(queue.toKey('repeat'), 0, -1, 'WITHSCORES');
  const next = new Map<string, number>();
  for (let index = 0; index < flat.length; index += 2) {
    const id = flat[index] as string;
    if (id.startsWith(SCHEDULER_PREFIX)) next.set(id, Number(flat[index + 1]));
  }
  return next;
}

/**
 * The stored fields of the schedulers `ids`, from the hashes BullMQ's own `getJobSchedulers` reads, by one
 * script call (a command per scheduler costs some 20 µs of client time, 2 s for 100,000).
 */
async function storedFields(
  { queue, queueConnection: redis }: SchedulerStore,
  ids: readonly string[],
): Promise<StoredFields[]> {
  const values = await READ_FIELDS.run(
    redis,
    ids.map((id) => queue.toKey(`repeat:${id}`)),
    FIELDS,
  );
  if (!Array.isArray(values) || values.length !== ids.length * FIELDS.length) {
    throw new Error('reading Job Schedulers: Redis answered an unexpected shape');
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return ids.map((_, index) => {
    const [name, pattern, tz, every, data, opts] = values
      .slice(index * FIELDS.length, (index + 1) * FIELDS.length)
      .map(text);
    return { name, pattern, tz, every: every === undefined ? undefined : Number(every), data, opts };
  });
}

/** `items` READ_BATCH at a time. */
const readBatches = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / READ_BATCH) }, (_, index) =>
    items.slice(index * READ_BATCH, (index + 1) * READ_BATCH),
  );

/**
 * Every rotor Job Scheduler as the reconcile sees it (what it compares with the wanted ones), in no fixed
 * order. The reconcile itself keeps only its verdicts; this keeps everything, for checking the view.
 */
export async function storedSchedulers(store: SchedulerStore): Promise<StoredScheduler[]> {
  const nextTimes = await schedulerNextTimes(store);
  const batches = await mapConcurrently(readBatches([...nextTimes.keys()]), READ_CONCURRENCY, async (ids) => {
    const fields = await storedFields(store, ids);
    return ids.map((id, index) => ({
      id,
      nextMs: nextTimes.get(id) as number,
      ...(fields[index] as StoredFields),
    }));
  });
  return batches.flat();
}

/**
 * The next due time of each of `wanted` (all present in `nextTimes`) whose stored scheduler is as wanted:
 * same timing, same trigger payload and options. Stored schedulers are read READ_BATCH at a time; only the
 * verdicts are kept.
 */
async function unchangedSchedulers(
  store: SchedulerStore,
  wanted: readonly WantedScheduler[],
  nextTimes: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const unchanged = new Map<string, number>();
  await mapConcurrently(readBatches(wanted), READ_CONCURRENCY, async (batch) => {
    const stored = await storedFields(
      store,
      batch.map(({ id }) => id),
    );
    batch.forEach((wantedScheduler, index) => {
      const { id, policy, repeat } = wantedScheduler;
      const { name, pattern, tz, every, data, opts } = stored[index] as StoredFields;
      const same =
        name !== undefined &&
        pattern === repeat.pattern &&
        tz === repeat.tz &&
        every === repeat.every &&
        sameJson(data, templateData(wantedScheduler)) &&
        sameJson(opts, templateOpts(policy));
      if (same) unchanged.set(id, (nextTimes.get(id) as number) - (repeat.firesAfterDueMs ?? 0));
    });
  });
  return unchanged;
}

/**
 * Makes the queue's Job Schedulers match the policies: creates or updates changed ones, removes those of
 * policies that are gone (or no longer scheduled), and leaves unchanged ones alone so their next run stands.
 */
export async function reconcileSchedulers(
  store: SchedulerStore,
  policies: readonly PolicyConfig[],
  nowMs: number,
): Promise<SchedulerChange[]> {
  const { queue } = store;
  const nextTimes = await schedulerNextTimes(store);
  const wanted = policies.flatMap((policy): WantedScheduler[] => {
    const repeat = repeatFor(policy, nowMs);
    return repeat ? [{ policy, repeat, id: schedulerIdFor(policy.id) }] : [];
  });
  const wantedIds = new Set(wanted.map(({ id }) => id));
  const unchanged = await unchangedSchedulers(
    store,
    wanted.filter(({ id }) => nextTimes.has(id)),
    nextTimes,
  );
  const upserted = await mapConcurrently(
    wanted,
    RECONCILE_CONCURRENCY,
    async (wantedScheduler): Promise<SchedulerChange> => {
      const { policy, repeat, id } = wantedScheduler;
      const unchangedNextMs = unchanged.get(id);
      if (unchangedNextMs !== undefined) {
        return { policyId: policy.id, action: 'unchanged', nextMs: unchangedNextMs };
      }
      // An existing `every` scheduler whose interval stays keeps its next run (BullMQ's script reuses it).
      const job = await queue.upsertJobScheduler(id, repeat, {
        name: JOB.trigger,
        data: templateData(wantedScheduler),
        opts: templateOpts(policy),
      });
      // A cron scheduler's next trigger is the one BullMQ just added, firing `firesAfterDueMs` after the due
      // time; an `every` one is placed by BullMQ's script, so it is read back.
      const nextMs =
        repeat.pattern !== undefined && job?.opts.prevMillis !== undefined
          ? job.opts.prevMillis - (repeat.firesAfterDueMs ?? 0)
          : (await queue.getJobScheduler(id))?.next;
      return { policyId: policy.id, action: nextTimes.has(id) ? 'updated' : 'created', nextMs };
    },
  );
  const unwanted = [...nextTimes.keys()].filter((id) => !wantedIds.has(id));
  const removed = await mapConcurrently(unwanted, RECONCILE_CONCURRENCY, async (id) => {
    await queue.removeJobScheduler(id);
    return { policyId: id.slice(SCHEDULER_PREFIX.length), action: 'removed', nextMs: undefined } as const;
  });
  return [...upserted, ...removed];
}
