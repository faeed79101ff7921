import { type Queue, Worker } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { wireRotations } from '../../src/daemon/rotation-deps.js';
import { jitterOffsetMs } from '../../src/domain/jitter-offset.js';
import { armExpiryTimer } from '../../src/queue/expiry-timer.js';
import { readFleet } from '../../src/queue/fleet-view.js';
import { firingRepeatStrategy } from '../../src/queue/jittered-firing.js';
import { expiryJobIdFor, JOB, schedulerIdFor } from '../../src/queue/job-payloads.js';
import { nextRunAt } from '../../src/queue/policy-status.js';
import { createRotationProcessor } from '../../src/queue/rotation-processor.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { reconcileSchedulers } from '../../src/queue/scheduler-reconcile.js';
import { scheduledPriority, triggerJobOptions } from '../../src/queue/trigger-timing.js';
import { type EmulatedWorld, policyNamed, startEmulatedWorld } from '../support/emulated-world.js';
import { memoryLogger } from '../support/memory-log.js';

let world: EmulatedWorld;
let infra: RedisInfrastructure;
let queue: Queue;

const policy = (id: string, schedule: string) => `
  - id: ${id}
    connection: cf
    action: rotate
    target: { serviceTokenId: 00000000-0000-4000-8000-000000000000 }
    schedule: ${schedule}
    secret: { id: reconcile/${id} }
`;

async function configWith(...policies: string[]): Promise<RotorConfig> {
  return world.config(policies.join(''));
}

beforeAll(async () => {
  world = await startEmulatedWorld();
  const config = await configWith(policy('placeholder', '{ manualOnly: true }'));
  infra = connectRedis(config);
  queue = infra.queue;
});

afterAll(async () => {
  await infra?.close();
  await world?.close();
});

const byPolicy = (changes: Awaited<ReturnType<typeof reconcileSchedulers>>) =>
  Object.fromEntries(changes.map((change) => [change.policyId, change]));

describe('reconciling Job Schedulers with the config', () => {
  const nowMs = Date.now();

  it('creates one per scheduled policy; an `every` schedule first fires one interval from now', async () => {
    const config = await configWith(
      policy('nightly', '{ cron: "0 3 * * *", tz: Europe/Oslo }'),
      policy('hourly', '{ every: 1h }'),
      policy('manual', '{ manualOnly: true }'),
      policy('expiry', '{ beforeExpiry: 7d }'),
      policy('paused', '{ every: 1h, paused: true }'),
    );

    const changes = byPolicy(await reconcileSchedulers(infra, config.policies, nowMs));

    expect(Object.keys(changes).sort()).toEqual(['hourly', 'nightly']);
    expect(changes.hourly).toMatchObject({ action: 'created', nextMs: nowMs + 3_600_000 });
    const oslo3am = CronExpressionParser.parse('0 3 * * *', { tz: 'Europe/Oslo', currentDate: new Date() })
      .next()
      .getTime();
    expect(changes.nightly).toMatchObject({ action: 'created', nextMs: oslo3am });
    const osloHour = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Oslo',
      hour: '2-digit',
      hourCycle: 'h23',
    });
    expect(osloHour.format(oslo3am)).toBe('03');
  });

  it('leaves unchanged schedulers alone, updates changed ones and removes those of deleted policies', async () => {
    const before = await queue.getJobScheduler(schedulerIdFor('hourly'));
    const config = await configWith(
      policy('nightly', '{ cron: "30 4 * * 1", tz: America/New_York }'),
      policy('hourly', '{ every: 1h }'),
    );

    const changes = byPolicy(await reconcileSchedulers(infra, config.policies, nowMs + 60_000));

    expect(changes.hourly).toMatchObject({ action: 'unchanged', nextMs: before?.next });
    expect(changes.nightly?.action).toBe('updated');
    const nightly = await queue.getJobScheduler(schedulerIdFor('nightly'));
    expect(nightly).toMatchObject({ pattern: '30 4 * * 1', tz: 'America/New_York' });

    const again = byPolicy(await reconcileSchedulers(infra, config.policies, nowMs + 120_000));
    expect(again.nightly).toMatchObject({ action: 'unchanged', nextMs: nightly?.next });
    expect(again.hourly).toMatchObject({ action: 'unchanged', nextMs: before?.next });

    const removed = byPolicy(await reconcileSchedulers(infra, [policyNamed(config, 'hourly')], nowMs));
    expect(removed.nightly).toMatchObject({ action: 'removed', nextMs: undefined });
    expect(await queue.getJobScheduler(schedulerIdFor('nightly'))).toBeUndefined();
  });

  it('updates a scheduler whose trigger jobs were made with other options, keeping its next run', async () => {
    const config = await configWith(
      policy('older', '{ cron: "0 5 * * *" }'),
      policy('older-every', '{ every: 1h }'),
      policy('older-jittered', '{ cron: "0 5 * * *", jitter: 10m }'),
    );
    const oldOptions = (policyId: string) => ({
      name: JOB.trigger,
      data: { policyId, source: 'schedule' },
      opts: { attempts: 3 },
    });
    await queue.upsertJobScheduler(schedulerIdFor('older'), { pattern: '0 5 * * *' }, oldOptions('older'));
    // Written when triggers fired at the due time: current options, no firing offset.
    const jittered = policyNamed(config, 'older-jittered');
    await queue.upsertJobScheduler(
      schedulerIdFor('older-jittered'),
      { pattern: '0 5 * * *' },
      { ...oldOptions('older-jittered'), opts: { ...triggerJobOptions(jittered) } },
    );
    const halfAnHourAway = nowMs + 1_800_000;
    await queue.upsertJobScheduler(
      schedulerIdFor('older-every'),
      { every: 3_600_000, startDate: halfAnHourAway },
      oldOptions('older-every'),
    );
    expect((await queue.getJobScheduler(schedulerIdFor('older-every')))?.next).toBe(halfAnHourAway);

    const changes = byPolicy(await reconcileSchedulers(infra, config.policies, nowMs));

    expect(changes.older?.action).toBe('updated');
    expect(changes['older-every']).toMatchObject({ action: 'updated', nextMs: halfAnHourAway });
    const fiveAm = CronExpressionParser.parse('0 5 * * *', { tz: 'UTC', currentDate: new Date() })
      .next()
      .getTime();
    expect(changes['older-jittered']).toMatchObject({ action: 'updated', nextMs: fiveAm });
    const rewritten = await queue.getJobScheduler(schedulerIdFor('older-jittered'));
    expect(rewritten?.next).toBe(fiveAm + jitterOffsetMs(jittered));
    expect(rewritten?.template?.data).toEqual({
      policyId: 'older-jittered',
      source: 'schedule',
      firesAfterDueMs: jitterOffsetMs(jittered),
    });
    for (const id of ['older', 'older-every', 'older-jittered']) {
      const scheduler = await queue.getJobScheduler(schedulerIdFor(id));
      expect(scheduler?.template?.opts).toMatchObject(triggerJobOptions(policyNamed(config, id)));
    }
    expect((await queue.getJobScheduler(schedulerIdFor('older-every')))?.next).toBe(halfAnHourAway);
    const again = byPolicy(await reconcileSchedulers(infra, config.policies, nowMs));
    expect(again.older?.action).toBe('unchanged');
    expect(again['older-every']?.action).toBe('unchanged');
    expect(again['older-jittered']).toMatchObject({ action: 'unchanged', nextMs: fiveAm });
  });

  it('runs an on-demand rotation first, then triggers and scheduled rotations in the order their rotations start', async () => {
    await queue.obliterate({ force: true });
    const config = await configWith(
      ...['a', 'b', 'c', 'd'].map((id) => policy(`burst-${id}`, '{ cron: "0 6 * * *", jitter: 10m }')),
      policy('scheduled', '{ cron: "0 6 * * *", jitter: 10m }'),
      policy('due', '{ manualOnly: true }'),
    );
    const burst = config.policies.filter((candidate) => candidate.id.startsWith('burst-'));
    await reconcileSchedulers(infra, burst, nowMs);
    for (const job of await queue.getDelayed()) await job.promote();
    // A rotation its trigger added earlier, whose jitter delay has run out: it starts between the triggers.
    const scheduled = policyNamed(config, 'scheduled');
    await requestRotation(queue, scheduled, 'schedule', {
      dueMs: nowMs - 3_600_000,
      delayMs: jitterOffsetMs(scheduled),
      nowMs,
      priority: scheduledPriority(scheduled),
    });
    await requestRotation(queue, policyNamed(config, 'due'), 'manual', { nowMs });

    const taken: string[] = [];
    const connection = infra.blockingConnection();
    const worker = new Worker(
      queue.name,
      async (job) => {
        taken.push(`${job.name} ${job.data.policyId}`);
      },
      { connection, prefix: config.redis.prefix, concurrency: 1 },
    );
    await vi.waitFor(() => expect(taken).toHaveLength(6), { timeout: 10_000 });
    await worker.close();
    connection.disconnect();

    const byStart = [...burst, scheduled]
      .sort((a, b) => jitterOffsetMs(a) - jitterOffsetMs(b))
      .map((candidate) => `${candidate === scheduled ? JOB.rotate : JOB.trigger} ${candidate.id}`);
    expect(byStart.indexOf(`${JOB.rotate} scheduled`)).not.toBe(0);
    expect(byStart.indexOf(`${JOB.rotate} scheduled`)).not.toBe(byStart.length - 1);
    expect(taken).toEqual([`${JOB.rotate} due`, ...byStart]);
  });

  it('a trigger adds the rotation job named for its due time, delayed by the policy’s jitter offset, counted from the due time', async () => {
    const config = await configWith(policy('jittery', '{ every: 1d, jitter: 10m }'));
    const wiring = wireRotations(config, infra, { clock: { now: () => nowMs }, log: memoryLogger().log });
    const process = createRotationProcessor(wiring.deps);
    // Handled two minutes after it fell due (a burst of triggers ahead of it).
    const trigger = await queue.add(
      JOB.trigger,
      { policyId: 'jittery', source: 'schedule' },
      { timestamp: nowMs - 120_000 },
    );
    const dueMs = trigger.timestamp;

    const rotationJobId = await process(trigger);

    const rotation = await queue.getJob(String(rotationJobId));
    expect(rotation?.id).toBe(`jittery-${dueMs}`);
    expect(rotation?.data).toEqual({ policyId: 'jittery', runId: `jittery-${dueMs}`, trigger: 'schedule' });
    expect(await rotation?.getState()).toBe('delayed');
    expect(rotation?.opts.priority).toBe(scheduledPriority(policyNamed(config, 'jittery')));
    // BullMQ starts a delayed job at its timestamp plus its delay.
    expect((rotation?.timestamp ?? 0) + (rotation?.opts.delay ?? 0)).toBe(
      dueMs + jitterOffsetMs(policyNamed(config, 'jittery')),
    );
    wiring.close();
  });

  it('a trigger that fired its offset after the due time names the run for the due time and starts it at once', async () => {
    const config = await configWith(policy('late-firing', '{ cron: "0 7 * * *", jitter: 10m }'));
    const offsetMs = jitterOffsetMs(policyNamed(config, 'late-firing'));
    const dueMs = nowMs - offsetMs - 250;
    const wiring = wireRotations(config, infra, { clock: { now: () => nowMs }, log: memoryLogger().log });
    const process = createRotationProcessor(wiring.deps);
    const trigger = await queue.add(
      JOB.trigger,
      { policyId: 'late-firing', source: 'schedule', firesAfterDueMs: offsetMs },
      { timestamp: dueMs + offsetMs },
    );

    const rotationJobId = await process(trigger);

    expect(rotationJobId).toBe(`late-firing-${dueMs}`);
    const rotation = await queue.getJob(String(rotationJobId));
    expect(rotation?.data).toMatchObject({ runId: `late-firing-${dueMs}`, trigger: 'schedule' });
    // Queued at once in its place among scheduled work, not parked in the delayed set.
    expect(await rotation?.getState()).toBe('prioritized');
    expect(rotation?.opts.delay ?? 0).toBe(0);
    wiring.close();
  });

  it('fires a jittered cron scheduler’s triggers their offset after each due time, run after run', async () => {
    await queue.obliterate({ force: true });
    // Every two seconds, so that a worker sees two firings; the offset stays under the interval.
    const config = await configWith(policy('fast', '{ cron: "*/2 * * * * *", jitter: 1500ms }'));
    const fast = policyNamed(config, 'fast');
    const offsetMs = jitterOffsetMs(fast);
    expect(offsetMs).toBeGreaterThan(0);

    const [change] = await reconcileSchedulers(infra, [fast], Date.now());
    expect(change?.nextMs === undefined ? Number.NaN : change.nextMs % 2000).toBe(0);
    expect((await queue.getJobScheduler(schedulerIdFor('fast')))?.next).toBe(
      (change?.nextMs ?? 0) + offsetMs,
    );
    expect(await nextRunAt(queue, fast)).toBe(change?.nextMs);
    expect((await readFleet(queue, infra.records, [fast])).nextRunAt(fast)).toBe(change?.nextMs);

    const fired: { prevMillis: number | undefined; data: unknown }[] = [];
    const connection = infra.blockingConnection();
    const worker = new Worker(
      queue.name,
      async (job) => {
        if (job.name === JOB.trigger) fired.push({ prevMillis: job.opts.prevMillis, data: job.data });
      },
      {
        connection,
        prefix: config.redis.prefix,
        settings: { repeatStrategy: firingRepeatStrategy },
      },
    );
    await vi.waitFor(() => expect(fired.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    await worker.close();
    connection.disconnect();
    await queue.removeJobScheduler(schedulerIdFor('fast'));

    const [first, second] = fired.map(({ prevMillis }) => prevMillis ?? Number.NaN);
    expect(first).toBe((change?.nextMs ?? 0) + offsetMs);
    expect((second ?? 0) - (first ?? 0)).toBe(2000);
    for (const { data } of fired) {
      expect(data).toEqual({ policyId: 'fast', source: 'schedule', firesAfterDueMs: offsetMs });
    }
  });

  it('arms a jittered before-expiry timer to fire its offset after the due time, and fires one armed late at once', async () => {
    const config = await configWith(policy('expiring', '{ beforeExpiry: 1h, jitter: 10m }'));
    const expiring = policyNamed(config, 'expiring');
    const offsetMs = jitterOffsetMs(expiring);
    const expiresAtMs = nowMs + 86_400_000;
    const dueMs = expiresAtMs - 3_600_000;

    expect(await armExpiryTimer(queue, expiring, expiresAtMs, nowMs)).toBe(dueMs);
    const timer = await queue.getJob(expiryJobIdFor('expiring'));
    expect((timer?.timestamp ?? 0) + (timer?.opts.delay ?? 0)).toBe(dueMs + offsetMs);
    expect(timer?.data).toEqual({ policyId: 'expiring', source: 'expiry', firesAfterDueMs: offsetMs });
    expect(await nextRunAt(queue, expiring)).toBe(dueMs);
    // Armed again for the same expiry, it stays as it is.
    expect(await armExpiryTimer(queue, expiring, expiresAtMs, nowMs + 1_000)).toBe(dueMs);
    expect((await queue.getJob(expiryJobIdFor('expiring')))?.id).toBe(timer?.id);
    expect((await queue.getJob(expiryJobIdFor('expiring')))?.timestamp).toBe(timer?.timestamp);

    const lateNowMs = dueMs + offsetMs + 60_000;
    await armExpiryTimer(queue, expiring, expiresAtMs, lateNowMs);
    const late = await queue.getJob(expiryJobIdFor('expiring'));
    expect((late?.timestamp ?? 0) + (late?.opts.delay ?? 0)).toBe(lateNowMs);
    expect(await nextRunAt(queue, expiring)).toBe(dueMs);
    await late?.remove();
  });
});
