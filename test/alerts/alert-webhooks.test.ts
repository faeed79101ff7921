import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALERT_QUEUE } from '../../src/alerts/alert-jobs.js';
import { deadDeliveries } from '../../src/alerts/dead-deliveries.js';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { JOB } from '../../src/queue/job-payloads.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { runCli } from '../support/cli-run.js';
import { type EmulatedWorld, policyNamed, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
interface Delivered {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & { policyId: string; details?: Record<string, unknown> };
}

let world: EmulatedWorld;
let config: RotorConfig;
let infra: RedisInfrastructure;
let alertQueue: Queue;
let daemon: Daemon | undefined;
let ops: Receiver;
let flaky: Receiver;
let down: Receiver;
let slack: Receiver;
let workDir: string;
let configFile: string;

beforeAll(async () => {
  world = await startEmulatedWorld();
  ops = await startWebhookReceiver(world.env.WEBHOOK_SECRET);
  flaky = await startWebhookReceiver(world.env.WEBHOOK_SECRET);
  down = await startWebhookReceiver(world.env.WEBHOOK_SECRET);
  slack = await startWebhookReceiver(undefined);
  down.failEveryRequest();
  const token = world.cloudflare.seedToken({ name: 'alerted', duration: '48h' });
  const policies = `
    - id: alerted
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { manualOnly: true }
      secret: { id: alerts/cloudflare-access }
      retry: { attempts: 2, backoff: 100ms, maxBackoff: 200ms, needsAttentionAfter: 2 }
    - id: nightly
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { cron: "0 3 * * *" }
      secret: { id: alerts/nightly, adopt: true }
  `;
  // The nightly policy's secret exists, so the daemon does not rotate it at start.
  world.aws.store.create({
    name: 'alerts/nightly',
    tags: new Map(),
    clientRequestToken: '6b1c2f0e-4d3a-4b5c-8d7e-9f0a1b2c3d4e',
    value: { kind: 'string', text: '{}' },
  });
  const alerts = `
expiringWithin: 7d
endpoints:
  - name: ops
    url: ${ops.url}
    secret: { env: WEBHOOK_SECRET }
    events: [rotation.succeeded, rotation.failed, rotation.retrying, policy.needs_attention, credential.expiring, schedule.stalled]
  - name: flaky
    url: ${flaky.url}
    secret: { env: WEBHOOK_SECRET }
    events: [rotation.succeeded]
    attempts: 5
  - name: down
    url: ${down.url}
    secret: { env: WEBHOOK_SECRET }
    events: [rotation.succeeded]
    attempts: 2
  - name: chat
    url: ${slack.url}
    format: slack
    events: [rotation.failed]
  `;
  workDir = await mkdtemp(join(tmpdir(), 'rotor-alerts-'));
  configFile = join(workDir, 'rotor.yaml');
  await writeFile(
    configFile,
    world.yaml(policies, { alerts, api: 'port: 0\ntokens: [{ env: API_TOKEN_A }]' }),
  );
  config = await world.config(policies, { alerts, api: 'port: 0\ntokens: [{ env: API_TOKEN_A }]' });
  infra = connectRedis(config);
  alertQueue = new Queue(ALERT_QUEUE, { connection: infra.queueConnection, prefix: config.redis.prefix });
  daemon = await startDaemon(config, { log: memoryLogger().log });
});

afterAll(async () => {
  await daemon?.stop();
  await alertQueue?.close();
  await infra?.close();
  await Promise.all([ops, flaky, down, slack].map((receiver) => receiver?.close()));
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  world.cloudflare.server.faults.clear();
});

async function rotate(): Promise<string> {
  const { jobId } = await requestRotation(infra.queue, policyNamed(config, 'alerted'), 'manual', {
    nowMs: Date.now(),
  });
  await finishedJob(infra.queue, jobId);
  return jobId;
}

const deliveredOf = (receiver: Receiver, type: string) =>
  (receiver.delivered() as Delivered[]).filter((alert) => alert.type === type);

/**
 * Every delivery queued so far is final (delivered or dead): no receiver gets another request until another
 * alert is raised, so what the receivers hold can be counted.
 */
const deliveriesSettled = () =>
  eventually(
    'every queued alert delivery to finish',
    async () => {
      const counts = await alertQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).every((count) => count === 0) ? true : undefined;
    },
    30_000,
  );

describe('alert webhooks', () => {
  it('signs rotation.succeeded per Standard Webhooks with ids and versions, never a value', async () => {
    const runId = await rotate();

    const [alert] = await eventually('the success alert', () => {
      const found = deliveredOf(ops, 'rotation.succeeded');
      return found.length > 0 ? found : undefined;
    });
    const record = await infra.records.get('alerted');
    expect(alert?.data).toMatchObject({
      type: 'rotation.succeeded',
      policyId: 'alerted',
      provider: 'cloudflare',
      runId,
      secretId: 'alerts/cloudflare-access',
      secretArn: world.aws.store.view('alerts/cloudflare-access').arn,
      versionId: record.current?.versionId,
    });
    const request = ops.received.find((received) => received.verified === alert);
    expect(request?.headers['webhook-id']).toBe(alert?.data.id);
    expect(request?.headers['webhook-signature']).toMatch(/^v1,/);
  });

  it('retries a receiver that is down, then delivers', async () => {
    await eventually('the flaky receiver to get its first alert', () =>
      deliveredOf(flaky, 'rotation.succeeded').length > 0 ? true : undefined,
    );
    flaky.failNextRequests(2);
    const before = flaky.received.length;

    await rotate();

    await eventually(
      'the retried delivery',
      () => (deliveredOf(flaky, 'rotation.succeeded').length === 2 ? true : undefined),
      30_000,
    );
    await deliveriesSettled();
    expect(flaky.received.length - before).toBe(3);
    expect(deliveredOf(flaky, 'rotation.succeeded')).toHaveLength(2);
  });

  it('keeps a delivery as dead after its last attempt, visible in status and metrics', async () => {
    await eventually(
      'a dead delivery',
      async () => ((await deadDeliveries(alertQueue)).count > 0 ? true : undefined),
      30_000,
    );

    const { code, stdout } = await runCli(configFile, world.env, 'status', '--json');
    expect(code).toBe(0);
    const status = JSON.parse(stdout) as {
      alerts: {
        deadDeliveries: { count: number; recent: { endpoint: string; eventType: string; reason: string }[] };
      };
    };
    expect(status.alerts.deadDeliveries.recent[0]).toMatchObject({
      endpoint: 'down',
      eventType: 'rotation.succeeded',
      reason: 'endpoint down answered HTTP 503',
    });
    const metrics = await (
      await fetch(`${daemon?.apiUrl}/metrics`, {
        headers: { authorization: `Bearer ${world.env.API_TOKEN_A}` },
      })
    ).text();
    expect(metrics).toMatch(/rotor_webhook_deliveries_total\{endpoint="down",outcome="dead"\} [1-9]/);
    expect(metrics).toMatch(/rotor_webhook_deliveries_total\{endpoint="flaky",outcome="delivered"\} [1-9]/);
    expect(metrics).toMatch(/rotor_webhook_dead_deliveries [1-9]/);
  });

  it('raises rotation.retrying, rotation.failed (also to Slack) and, after 2 failed runs, policy.needs_attention', async () => {
    for (let run = 0; run < 2; run++) {
      world.cloudflare.server.faults.add({
        route: 'rotateServiceToken',
        fault: { kind: 'status', status: 503 },
        times: 2,
      });
      await rotate();
    }

    // Both runs are over, so every alert they raise is queued: once delivered, the counts are final.
    await deliveriesSettled();
    const attention = deliveredOf(ops, 'policy.needs_attention');
    expect(attention).toHaveLength(1);
    expect(attention[0]?.data).toMatchObject({ policyId: 'alerted', details: { consecutiveFailures: 2 } });
    expect(deliveredOf(ops, 'rotation.retrying')).toHaveLength(2);
    const failed = deliveredOf(ops, 'rotation.failed');
    expect(failed).toHaveLength(2);
    expect(failed[0]?.data).toMatchObject({
      step: 'issue',
      error: { kind: 'transient', message: expect.stringMatching(/policy alerted, step issue: .*503/) },
    });
    const chat = slack.delivered();
    expect(chat).toHaveLength(2);
    expect((chat[0] as { text: string }).text).toMatch(
      /^rotor: policy \*alerted\* \(cloudflare\) rotation FAILED/,
    );
  });

  it('the sweep raises credential.expiring once for a credential that expires before any rotation is due', async () => {
    const sweeps = [await infra.queue.add(JOB.sweep, {}), await infra.queue.add(JOB.sweep, {})];

    // Both sweeps ran (each queued its alert before it completed) and every delivery is final: the second
    // sweep's alert had the same id, so it was not delivered again.
    for (const sweep of sweeps)
      expect(await (await finishedJob(infra.queue, sweep.id ?? '')).getState()).toBe('completed');
    await deliveriesSettled();
    const expiring = deliveredOf(ops, 'credential.expiring');
    expect(expiring).toHaveLength(1);
    const record = await infra.records.get('alerted');
    expect(expiring[0]?.data.details).toEqual({
      expiresAt: new Date(record.current?.expiresAt ?? 0).toISOString(),
    });
  });

  it('the sweep raises schedule.stalled for a scheduled policy whose Job Scheduler is gone', async () => {
    await infra.queue.removeJobScheduler('rotate-nightly');

    await infra.queue.add(JOB.sweep, {});

    const stalled = await eventually('the stalled alert', () => {
      const found = deliveredOf(ops, 'schedule.stalled');
      return found.length > 0 ? found : undefined;
    });
    expect(stalled[0]?.data).toMatchObject({ policyId: 'nightly', details: { scheduler: 'missing' } });
  });
});
