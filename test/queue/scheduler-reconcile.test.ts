import { type Queue, Worker } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { wireRotations } from '../../src/daemon/rotation-deps.js';
import { jitterOffsetMs } from '../../src/domain/jitter-offset.js';
import { JOB, schedulerIdFor } from '../../src/queue/job-payloads.js';
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
    );
    const oldOptions = (policyId: string) => ({
      name: JOB.trigger,
      data: { policyId, source: 'schedule' },
      opts: { attempts: 3 },
    });
    await queue.upsertJobScheduler(schedulerIdFor('older'), { pattern: '0 5 * * *' }, oldOptions('older'));
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
    for (const id of ['older', 'older-every']) {
      const scheduler = await queue.getJobScheduler(schedulerIdFor(id));
      expect(scheduler?.template?.opts).toMatchObject(triggerJobOptions(policyNamed(config, id)));
    }
    expect((await queue.getJobScheduler(schedulerIdFor('older-every')))?.next).toBe(halfAnHourAway);
    const again = byPolicy(await reconcileSchedulers(infra, config.policies, nowMs));
    expect(again.older?.action).toBe('unchanged');
    expect(again['older-every']?.action).toBe('unchanged');
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
    const connection = infra.redis.duplicate();
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
    const score = Number(await infra.redis.zscore(queue.toKey('delayed'), String(rotationJobId)));
    expect(Math.floor(score / 0x1000)).toBe(dueMs + jitterOffsetMs(policyNamed(config, 'jittery')));
    wiring.close();
  });
});
