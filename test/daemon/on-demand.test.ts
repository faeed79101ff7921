import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { systemClock } from '../../src/lib/clock.js';
import { JOB } from '../../src/queue/job-payloads.js';
import { ROTATION_QUEUE } from '../../src/queue/queue-name.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { runCli } from '../support/cli-run.js';
import { type EmulatedWorld, policyNamed, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';

let world: EmulatedWorld;
let config: RotorConfig;
let infra: RedisInfrastructure;
let daemon: Daemon | undefined;
let configFile: string;
let workDir: string;
const logged = memoryLogger('info');

beforeAll(async () => {
  world = await startEmulatedWorld();
  const onDemand = world.cloudflare.seedToken({ name: 'on-demand', duration: '8760h' });
  const policies = `
    - id: on-demand
      connection: cf
      action: rotate
      target: { serviceTokenId: ${onDemand.id} }
      schedule: { manualOnly: true }
      gracePeriod: 1m
      verify: { url: ${world.cloudflare.client.accessUrl} }
      secret: { id: daemon/on-demand }
      retry: { attempts: 4, backoff: 100ms, maxBackoff: 200ms }
  `;
  config = await world.config(policies);
  workDir = await mkdtemp(join(tmpdir(), 'rotor-daemon-'));
  configFile = join(workDir, 'rotor.yaml');
  await writeFile(configFile, world.yaml(policies));
  infra = connectRedis(config);
  daemon = await startDaemon(config, { log: logged.log, clock: systemClock });
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  world.cloudflare.server.faults.clear();
  world.cloudflare.server.calls.clear();
});

async function requestOnDemand(nowMs = Date.now()) {
  return requestRotation(infra.queue, policyNamed(config, 'on-demand'), 'manual', { nowMs });
}

const cliRun = (...args: string[]) => runCli(configFile, world.env, ...args);

describe('on-demand rotations', () => {
  it('rotate --wait prints the outcome with the AWS version and exits 0; the run history names the OS user and the reason', async () => {
    const { code, stdout } = await cliRun('rotate', 'on-demand', '--wait', '--reason', 'quarterly drill');

    expect(code).toBe(0);
    const versionId = /AWS version ([0-9a-f-]{36})/.exec(stdout)?.[1];
    const view = world.aws.store.view('daemon/on-demand');
    expect(view.versions.find((v) => v.versionId === versionId)?.stages).toEqual(['AWSCURRENT']);
    const runId = /rotation (\S+) requested/.exec(stdout)?.[1];
    const entry = (await infra.history.recent('on-demand')).find((candidate) => candidate.runId === runId);
    expect(entry).toMatchObject({ reason: 'quarterly drill', requestedBy: `cli:${userInfo().username}` });
    expect(entry?.apiTokenName).toBeUndefined();
  });

  it('answers a request during a run with that run: two requests, one rotation', async () => {
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'delay', delayMs: 300 },
      times: 1,
    });
    const [first, second] = await Promise.all([requestOnDemand(), requestOnDemand(Date.now() + 1)]);
    const third = await requestOnDemand(Date.now() + 2);

    expect(new Set([first.jobId, second.jobId, third.jobId]).size).toBe(1);
    expect([first.joined, second.joined, third.joined].filter(Boolean)).toHaveLength(2);
    expect(await (await finishedJob(infra.queue, first.jobId)).getState()).toBe('completed');
    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);
  });

  it('retries a transient failure with backoff and then succeeds, issuing once', async () => {
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'status', status: 503 },
      times: 2,
    });
    const { jobId } = await requestOnDemand();

    const job = await finishedJob(infra.queue, jobId);

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(3);
    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);
    expect((await infra.history.recent('on-demand'))[0]).toMatchObject({
      runId: jobId,
      outcome: 'succeeded',
    });
  });

  it('delays a rate-limited job by its Retry-After without spending an attempt', async () => {
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'rate-limit', retryAfterSeconds: 120 },
      times: 1,
    });
    const before = Date.now();
    const { jobId } = await requestOnDemand();

    await eventually('the job to be delayed', async () =>
      (await infra.queue.getJobState(jobId)) === 'delayed' ? true : undefined,
    );
    const after = Date.now();
    // Read once delayed: the move stored the delay with the state, in one step.
    const job = await infra.queue.getJob(jobId);
    if (!job) throw new Error(`job ${jobId} is gone`);

    // Moved to delayed until the 429's time + 120 s: its delay counts from the move, a moment after the 429.
    expect(job.delay).toBeLessThanOrEqual(120_000);
    expect(job.delay).toBeGreaterThanOrEqual(120_000 - (after - before));
    expect(job.attemptsMade).toBe(0);

    await job.promote();
    expect(await (await finishedJob(infra.queue, jobId)).getState()).toBe('completed');
  });

  it('stops at once on a permanent failure, naming the policy, the step and the status', async () => {
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'status', status: 403 },
      times: 1,
    });

    const { code, stderr } = await cliRun('rotate', 'on-demand', '--wait', '--timeout', '30s');

    expect(code).toBe(1);
    expect(stderr).toMatch(/on-demand/);
    expect(stderr).toMatch(/issue/);
    expect(stderr).toMatch(/403/);
    const failed = await infra.queue.getFailed();
    const job = failed.find((candidate) => candidate.data.policyId === 'on-demand');
    expect(job?.attemptsMade).toBe(1);
    const status = await cliRun('status', '--json');
    const statuses = JSON.parse(status.stdout) as { policies: { policyId: string; state: string }[] };
    expect(statuses.policies.find((p) => p.policyId === 'on-demand')?.state).toBe('failed');
  });

  it('fails a malformed provider response as that job’s failure, with its reason', async () => {
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'malformed' },
      times: 1,
    });
    const { jobId } = await requestOnDemand();

    const job = await finishedJob(infra.queue, jobId);

    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/on-demand.*issue/);
    expect(job.attemptsMade).toBe(1);
  });
});

describe('requests from other services through the queue', () => {
  it('a `request` job with {policyId, reason, requestedBy} rotates like rotor rotate, deduplicated', async () => {
    const producer = new Queue(ROTATION_QUEUE, {
      connection: infra.queueConnection.duplicate(),
      prefix: config.redis.prefix,
    });
    const payload = { policyId: 'on-demand', reason: 'leaked in a CI log', requestedBy: 'incident-bot' };
    const [first, second] = await Promise.all([
      producer.add(JOB.request, payload),
      producer.add(JOB.request, payload),
    ]);

    const rotationIds = await Promise.all(
      [first, second].map(
        async (job) => (await finishedJob(infra.queue, job.id ?? '')).returnvalue as string,
      ),
    );

    expect(rotationIds[0]).toBe(rotationIds[1]);
    const rotation = await finishedJob(infra.queue, rotationIds[0] ?? '');
    expect(await rotation.getState()).toBe('completed');
    expect(rotation.data).toMatchObject({
      trigger: 'manual',
      reason: payload.reason,
      requestedBy: 'incident-bot',
    });
    // Recorded under the run it finished (an earlier test left one unfinished).
    const { runId } = rotation.returnvalue as { runId: string };
    const entry = (await infra.history.recent('on-demand')).find((candidate) => candidate.runId === runId);
    expect(entry).toMatchObject({
      outcome: 'succeeded',
      reason: payload.reason,
      requestedBy: 'incident-bot',
    });
    await producer.close();
  });

  it('fails a malformed request with the reason, naming the field', async () => {
    const job = await infra.queue.add(JOB.request, { policy: 'on-demand' });

    expect((await finishedJob(infra.queue, job.id ?? '')).failedReason).toMatch(
      /malformed request job: policyId/,
    );
  });
});

describe('bad jobs', () => {
  it('fails a malformed or unknown job alone and keeps rotating', async () => {
    const malformed = await infra.queue.add(JOB.rotate, { policyId: 'on-demand', runId: 42 });
    const unknownPolicy = await infra.queue.add(JOB.rotate, {
      policyId: 'not-configured',
      runId: 'not-configured-m1',
      trigger: 'manual',
    });
    const unknownName = await infra.queue.add('explode', { policyId: 'on-demand' });

    expect((await finishedJob(infra.queue, malformed.id ?? '')).failedReason).toMatch(
      /malformed rotate job: runId/,
    );
    expect((await finishedJob(infra.queue, unknownPolicy.id ?? '')).failedReason).toMatch(
      /not-configured.*not in the config/,
    );
    expect((await finishedJob(infra.queue, unknownName.id ?? '')).failedReason).toMatch(
      /unknown job name "explode"/,
    );

    const { jobId } = await requestOnDemand();
    expect(await (await finishedJob(infra.queue, jobId)).getState()).toBe('completed');
  });
});

describe('graceful stop', () => {
  it('lets the in-flight rotation finish before it stops', async () => {
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'delay', delayMs: 500 },
      times: 1,
    });
    const { jobId } = await requestOnDemand();
    await eventually('the rotation to start', async () =>
      (await (await infra.queue.getJob(jobId))?.getState()) === 'active' ? true : undefined,
    );

    await daemon?.stop();
    daemon = undefined;

    expect(await (await infra.queue.getJob(jobId))?.getState()).toBe('completed');
    expect(logged.text()).toMatch(/"msg":"stopped"/);
  });
});
