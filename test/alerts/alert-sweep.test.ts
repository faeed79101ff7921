import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertInput, AlertSink } from '../../src/alerts/alert-publisher.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { jitterOffsetMs } from '../../src/domain/jitter-offset.js';
import { sweepAlerts } from '../../src/queue/alert-sweep.js';
import { CorruptJobLog } from '../../src/queue/corrupt-jobs.js';
import { JOB } from '../../src/queue/job-payloads.js';
import { reconcileSchedulers } from '../../src/queue/scheduler-reconcile.js';
import { type EmulatedWorld, policyNamed, startEmulatedWorld } from '../support/emulated-world.js';
import { memoryLogger } from '../support/memory-log.js';

let world: EmulatedWorld;
let infra: RedisInfrastructure;

beforeAll(async () => {
  world = await startEmulatedWorld();
});

afterAll(async () => {
  await infra?.close();
  await world?.close();
});

class RecordedAlerts implements AlertSink {
  readonly expiringWithinMs = 0;
  readonly published: AlertInput[] = [];
  async publish(event: AlertInput): Promise<void> {
    this.published.push(event);
  }
}

describe('the alert sweep and jittered schedules', () => {
  it('does not call a jittered schedule stalled while its trigger waits out the offset, and does once the firing is missed', async () => {
    const config = await world.config(`
      - id: spread
        connection: cf
        action: rotate
        target: { serviceTokenId: 00000000-0000-4000-8000-000000000000 }
        schedule: { cron: "0 4 * * *", jitter: 1h }
        secret: { id: sweep/spread }
    `);
    infra = connectRedis(config);
    const spread = policyNamed(config, 'spread');
    const offsetMs = jitterOffsetMs(spread);
    // Far enough into the window that the due time is well past while the trigger still waits.
    expect(offsetMs).toBeGreaterThan(5 * 60_000);
    const [change] = await reconcileSchedulers(infra, [spread], Date.now());
    const dueMs = change?.nextMs ?? Number.NaN;
    const sweepAt = async (nowMs: number) => {
      const alerts = new RecordedAlerts();
      await sweepAlerts({
        queue: infra.queue,
        records: infra.records,
        policies: new Map([[spread.id, spread]]),
        alerts,
        clock: { now: () => nowMs },
        corruptJobs: new CorruptJobLog(memoryLogger().log),
      });
      return alerts.published.map((event) => event.type);
    };

    expect(await sweepAt(dueMs + 5 * 60_000)).toEqual([]);
    expect(await sweepAt(dueMs + offsetMs + 5 * 60_000)).toEqual(['schedule.stalled']);
  });
});

describe('the alert sweep and a job whose hash does not parse', () => {
  it('completes without it, alerting for the other policies, and logs it once', async () => {
    const config = await world.config(`
      - id: unscheduled
        connection: cf
        action: rotate
        target: { serviceTokenId: 00000000-0000-4000-8000-000000000000 }
        schedule: { cron: "0 4 * * *" }
        secret: { id: sweep/unscheduled }
    `);
    const sweepInfra = connectRedis(config);
    try {
      const job = await sweepInfra.queue.add(JOB.rotate, { policyId: 'other' }, { delay: 3_600_000 });
      await world.redis.hset(sweepInfra.queue.toKey(job.id ?? ''), 'data', '{not json');
      const logged = memoryLogger();
      const corruptJobs = new CorruptJobLog(logged.log);
      const sweep = async () => {
        const alerts = new RecordedAlerts();
        await sweepAlerts({
          queue: sweepInfra.queue,
          records: sweepInfra.records,
          policies: new Map(config.policies.map((policy) => [policy.id, policy])),
          alerts,
          clock: { now: () => Date.now() },
          corruptJobs,
        });
        return alerts.published.map((event) => `${event.type} ${event.policyId}`);
      };

      // The policy's scheduler was never created: the sweep reports it stalled.
      expect(await sweep()).toEqual(['schedule.stalled unscheduled']);
      expect(await sweep()).toEqual(['schedule.stalled unscheduled']);
      const lines = logged.lines().filter((line) => line.includes(job.id ?? ''));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ reason: 'its data is not valid JSON' });
    } finally {
      await sweepInfra.close();
    }
  });
});
