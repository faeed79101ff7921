import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { manualRunId } from '../../src/domain/ids.js';
import { JOB } from '../../src/queue/job-payloads.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { runCli } from '../support/cli-run.js';
import { type EmulatedWorld, policyNamed, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { memoryLogger } from '../support/memory-log.js';

const CORRUPT_LINE = 'a job on the queue cannot be read (corrupt hash)';
const HOUR_MS = 3_600_000;

let world: EmulatedWorld;
let config: RotorConfig;
let infra: RedisInfrastructure;
let daemon: Daemon;
let base: string;
let workDir: string;
let configFile: string;
const logged = memoryLogger('info');
/** A rotation of `stuck`, due in an hour, whose data was overwritten with text that is not JSON. */
let corrupt: Job;

/** Overwrites the job's data in Redis, as a broken producer or a hand edit would. */
async function corruptData(job: Job): Promise<void> {
  await world.redis.hset(infra.queue.toKey(job.id ?? ''), 'data', '{not json');
}

beforeAll(async () => {
  world = await startEmulatedWorld();
  const tokens = ['healthy', 'stuck'].map((name) => world.cloudflare.seedToken({ name, duration: '8760h' }));
  const policies = ['healthy', 'stuck']
    .map(
      (id, index) => `
    - id: ${id}
      connection: cf
      action: rotate
      target: { serviceTokenId: ${tokens[index]?.id} }
      schedule: { manualOnly: true }
      secret: { id: corrupt/${id} }
    `,
    )
    .join('');
  const sections = { api: 'host: 127.0.0.1\nport: 0\ntokens:\n  - { env: API_TOKEN_A }' };
  config = await world.config(policies, sections);
  workDir = await mkdtemp(join(tmpdir(), 'rotor-corrupt-'));
  configFile = join(workDir, 'rotor.yaml');
  await writeFile(configFile, world.yaml(policies, sections));
  infra = connectRedis(config);
  daemon = await startDaemon(config, { log: logged.log });
  base = daemon.apiUrl ?? '';

  const nowMs = Date.now();
  const { jobId } = await requestRotation(infra.queue, policyNamed(config, 'stuck'), 'schedule', {
    dueMs: nowMs,
    delayMs: HOUR_MS,
    nowMs,
  });
  const job = await infra.queue.getJob(jobId);
  if (!job) throw new Error('the delayed rotation was not added');
  corrupt = job;
  await corruptData(corrupt);
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    headers: { authorization: `Bearer ${world.env.API_TOKEN_A}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const cliStatus = () => runCli(configFile, world.env, 'status', '--json');

const namedCorrupt = () => [{ id: corrupt.id, reason: 'its data is not valid JSON' }];

describe('a job whose hash does not parse', () => {
  it('GET /v1/policies answers for every policy and names the corrupt job', async () => {
    const { status, body } = await get('/v1/policies');

    expect(status).toBe(200);
    expect((body.policies as { policyId: string }[]).map((policy) => policy.policyId)).toEqual([
      'healthy',
      'stuck',
    ]);
    expect(body.corruptJobs).toEqual(namedCorrupt());
  });

  it('GET /v1/policies/:id answers for another policy, and names the policy’s own corrupt job', async () => {
    const healthy = await get('/v1/policies/healthy');
    const stuck = await get('/v1/policies/stuck');

    expect(healthy).toMatchObject({ status: 200, body: { policy: { policyId: 'healthy', state: 'idle' } } });
    expect(healthy.body.corruptJobs).toEqual([]);
    expect(stuck).toMatchObject({ status: 200, body: { policy: { policyId: 'stuck' } } });
    expect(stuck.body.corruptJobs).toEqual(namedCorrupt());
  });

  it('a policy’s status still shows its own pending and running rotations (read by id) beside it', async () => {
    const stateOf = async (policyId: string) => {
      const one = await get(`/v1/policies/${policyId}`);
      const all = await get('/v1/policies');
      const inFleet = (all.body.policies as { policyId: string; state: string }[]).find(
        (policy) => policy.policyId === policyId,
      );
      expect(one.status).toBe(200);
      return { alone: (one.body.policy as { state: string }).state, inFleet: inFleet?.state };
    };
    const healthy = policyNamed(config, 'healthy');

    await infra.queue.pause();
    const pending = await requestRotation(infra.queue, healthy, 'manual', { nowMs: Date.now() });
    expect(await stateOf('healthy')).toEqual({ alone: 'scheduled', inFleet: 'scheduled' });
    await infra.queue.resume();
    await eventually('the rotation to complete', async () =>
      (await infra.queue.getJobState(pending.jobId)) === 'completed' ? true : undefined,
    );

    // A rotation added by hand, without rotor's deduplication: found through the record's in-flight owner.
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'delay', delayMs: 2_000 },
      times: 1,
    });
    const runId = manualRunId('healthy', Date.now());
    await infra.queue.add(JOB.rotate, { policyId: 'healthy', runId, trigger: 'manual' }, { jobId: runId });
    await eventually('the hand-added rotation to show as running', async () => {
      const states = await stateOf('healthy');
      return states.alone === 'running' ? states : undefined;
    });
    expect((await stateOf('healthy')).inFleet).toBe('running');
    await eventually('the hand-added rotation to complete', async () =>
      (await infra.queue.getJobState(runId)) === 'completed' ? true : undefined,
    );
    expect(await stateOf('healthy')).toEqual({ alone: 'idle', inFleet: 'idle' });
  });

  it('is logged by the daemon once, however many status reads meet it', async () => {
    for (let read = 0; read < 3; read++) expect((await get('/v1/policies')).status).toBe(200);

    const lines = logged.lines().filter((line) => line.includes(CORRUPT_LINE));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      jobId: corrupt.id,
      reason: 'its data is not valid JSON',
    });
  });

  it('rotor status --json answers for every policy and names the corrupt job', async () => {
    const { code, stdout, stderr } = await cliStatus();

    expect(stderr).toBe('');
    expect(code).toBe(0);
    const status = JSON.parse(stdout) as { policies: { policyId: string }[]; corruptJobs: unknown };
    expect(status.policies.map((policy) => policy.policyId)).toEqual(['healthy', 'stuck']);
    expect(status.corruptJobs).toEqual(namedCorrupt());
  });

  it('fails when the worker takes it, with the reason, instead of staying active; the policy rotates again', async () => {
    await corrupt.promote();

    await eventually(
      'the corrupt job to fail',
      async () => ((await infra.queue.getJobState(corrupt.id ?? '')) === 'failed' ? true : undefined),
      20_000,
    );
    expect(await world.redis.hget(infra.queue.toKey(corrupt.id ?? ''), 'failedReason')).toBe(
      `job ${corrupt.id} cannot be read: its data is not valid JSON; failed unrun`,
    );
    const response = await fetch(`${base}/v1/policies/stuck/rotations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.env.API_TOKEN_A}` },
    });
    expect(response.status).toBe(202);
  });

  it('fails a queued job of any kind the same way, and the worker goes on with the next', async () => {
    const request = await infra.queue.add(JOB.request, { policyId: 'healthy' }, { delay: HOUR_MS });
    await corruptData(request);
    await request.promote();
    const { jobId } = await requestRotation(infra.queue, policyNamed(config, 'healthy'), 'manual', {
      nowMs: Date.now(),
    });

    await eventually(
      'the corrupt request to fail and the rotation after it to complete',
      async () => {
        const states = [
          await infra.queue.getJobState(request.id ?? ''),
          await infra.queue.getJobState(jobId),
        ];
        return states[0] === 'failed' && states[1] === 'completed' ? true : undefined;
      },
      20_000,
    );
  });
});
