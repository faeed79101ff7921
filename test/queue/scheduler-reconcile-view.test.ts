import { type JobSchedulerJson, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firingRepeatStrategy } from '../../src/queue/jittered-firing.js';
import { JOB, schedulerIdFor } from '../../src/queue/job-payloads.js';
import { ROTATION_QUEUE } from '../../src/queue/queue-name.js';
import { type StoredScheduler, storedSchedulers } from '../../src/queue/scheduler-reconcile.js';
import { triggerJobOptions } from '../../src/queue/trigger-timing.js';
import { testRedis } from '../support/redis.js';

/*
 * The scheduler reconcile reads BullMQ's keys itself (one script call per thousand schedulers) instead of
 * calling getJobSchedulers. This holds its view against BullMQ's own, so that a BullMQ version that lays its
 * schedulers out differently fails here rather than making every reconcile rewrite (or miss) schedulers.
 */

const { redis, prefix, cleanup } = testRedis();
const queue = new Queue(ROTATION_QUEUE, {
  connection: redis,
  prefix,
  settings: { repeatStrategy: firingRepeatStrategy },
});
const store = { queue, queueConnection: redis };

/** A trigger template like the reconcile's: the policy's trigger options, bounded retention. */
const template = (policyId: string, jitterMs: number) => ({
  name: JOB.trigger,
  data: { policyId, source: 'schedule' },
  opts: {
    ...triggerJobOptions({ id: policyId, jitterMs }),
    removeOnComplete: { count: 50 },
    removeOnFail: { count: 200 },
  },
});

/** The fields the reconcile compares, from either view, by scheduler id. */
function comparable(schedulers: readonly StoredScheduler[]) {
  return [...schedulers]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map(({ id, nextMs, name, pattern, tz, every, data, opts }) => ({
      id,
      nextMs,
      name,
      pattern,
      tz,
      every,
      data: data === undefined ? undefined : JSON.parse(data),
      opts: opts === undefined ? undefined : JSON.parse(opts),
    }));
}

function bullmqView(schedulers: readonly JobSchedulerJson[]) {
  return [...schedulers]
    .filter(({ key }) => key.startsWith(schedulerIdFor('')))
    .sort((a, b) => a.key.localeCompare(b.key))
    .map(({ key, next, name, pattern, tz, every, template }) => ({
      id: key,
      nextMs: next,
      name,
      pattern,
      tz,
      every,
      data: template?.data,
      opts: template?.opts,
    }));
}

beforeAll(async () => {
  const nowMs = Date.now();
  const upsert = (policyId: string, repeat: Parameters<Queue['upsertJobScheduler']>[1], jitterMs = 0) =>
    queue.upsertJobScheduler(schedulerIdFor(policyId), repeat, template(policyId, jitterMs));
  await upsert('hourly', { every: 3_600_000, startDate: nowMs + 3_600_000 });
  await upsert('every-minute', { every: 60_000 });
  await upsert('oslo-nightly', { pattern: '0 3 * * *', tz: 'Europe/Oslo' }, 600_000);
  await upsert('utc-five-minutes', { pattern: '*/5 * * * *' });
  await upsert('tokyo-monday', { pattern: '15 9 * * 1', tz: 'Asia/Tokyo' }, 30_000);
  await upsert('was-every', { every: 120_000 });
  await upsert('was-every', { pattern: '0 12 * * *', tz: 'America/New_York' });
  await upsert('removed-cron', { pattern: '0 * * * *', tz: 'Europe/Oslo' });
  await upsert('removed-every', { every: 30_000 });
  await queue.removeJobScheduler(schedulerIdFor('removed-cron'));
  await queue.removeJobScheduler(schedulerIdFor('removed-every'));
  // Not a policy's: the reconcile leaves it out, as it leaves out the orphan and alert sweeps'.
  await queue.upsertJobScheduler('orphan-sweep', { every: 3_600_000 }, { name: JOB.orphanSweep, data: {} });
});

afterAll(async () => {
  await queue.close();
  await cleanup();
});

describe("the scheduler reconcile's view of BullMQ's Job Schedulers", () => {
  it('lists the same schedulers, timings, next runs and templates as queue.getJobSchedulers()', async () => {
    const view = comparable(await storedSchedulers(store));

    expect(view.map(({ id }) => id)).toEqual(
      ['every-minute', 'hourly', 'oslo-nightly', 'tokyo-monday', 'utc-five-minutes', 'was-every'].map(
        schedulerIdFor,
      ),
    );
    expect(view).toEqual(bullmqView(await queue.getJobSchedulers()));
    expect(view.find(({ id }) => id === schedulerIdFor('oslo-nightly'))).toMatchObject({
      pattern: '0 3 * * *',
      tz: 'Europe/Oslo',
      every: undefined,
    });
    expect(view.find(({ id }) => id === schedulerIdFor('hourly'))).toMatchObject({ every: 3_600_000 });
  });
});
