import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { Journal } from '../../src/state/journal.js';
import type { RunStep } from '../../src/state/policy-record.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { type EmulatedWorld, policyNamed, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';

const HELD_MS = 600_000;

let world: EmulatedWorld;
let config: RotorConfig;
let policy: PolicyConfig;
let infra: RedisInfrastructure;
let workDir: string;
let configFile: string;
let running: DaemonProcess | undefined;

beforeAll(async () => {
  world = await startEmulatedWorld();
  const token = world.cloudflare.seedToken({ name: 'crash', duration: '8760h' });
  const policies = `
    - id: crash-test
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { manualOnly: true }
      gracePeriod: 10m
      verify: { url: ${world.cloudflare.client.accessUrl} }
      secret: { id: crash/cloudflare-access }
      retry: { attempts: 5, backoff: 100ms, maxBackoff: 500ms }
  `;
  // Short locks so the restarted daemon takes over the killed one's job within seconds.
  const worker = 'lockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3';
  config = await world.config(policies, { worker });
  policy = policyNamed(config, 'crash-test');
  workDir = await mkdtemp(join(tmpdir(), 'rotor-crash-'));
  configFile = join(workDir, 'rotor.yaml');
  await writeFile(configFile, world.yaml(policies, { worker }));
  infra = connectRedis(config);
});

afterAll(async () => {
  await running?.stop();
  await infra?.close();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  world.cloudflare.server.calls.clear();
  world.aws.server.calls.clear();
});

async function killAt(step: RunStep, held: { emulator: 'aws' | 'cloudflare'; route: string }) {
  const server = held.emulator === 'aws' ? world.aws.server : world.cloudflare.server;
  server.faults.add({ route: held.route, fault: { kind: 'delay', delayMs: HELD_MS }, times: 1 });
  running = await startDaemonProcess(configFile, world.env);
  const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
  await eventually(`the run to be held after ${step}`, async () => {
    const inFlight = (await infra.records.get(policy.id)).inFlight;
    const requestHeld = server.faults.list().length === 0;
    return inFlight?.runId === jobId && inFlight.step === step && requestHeld ? true : undefined;
  });
  await running.kill();
  running = undefined;
  return jobId;
}

async function restartAndFinish(jobId: string): Promise<void> {
  running = await startDaemonProcess(configFile, world.env);
  await eventually(
    `the restarted daemon to finish ${jobId}`,
    async () => ((await (await infra.queue.getJob(jobId))?.getState()) === 'completed' ? true : undefined),
    60_000,
  );
  await running.stop();
  running = undefined;
}

async function currentIsAdmitted(): Promise<boolean> {
  const text = world.aws.store.valueOf('crash/cloudflare-access') ?? '{}';
  const credential = JSON.parse(text) as { clientId: string; clientSecret: string };
  const response = await fetch(world.cloudflare.client.accessUrl ?? '', {
    headers: {
      'cf-access-client-id': credential.clientId,
      'cf-access-client-secret': credential.clientSecret,
    },
    redirect: 'manual',
  });
  await response.arrayBuffer();
  return response.status === 200;
}

describe('a daemon killed mid-rotation', () => {
  it('after issue and journal: the next daemon stages the journaled credential, issuing once', async () => {
    const jobId = await killAt('journaled', { emulator: 'aws', route: 'PutSecretValue' });
    const journal = new Journal(infra.redis, {
      prefix: config.redis.prefix,
      keys: config.journal.keys,
      activeKeyId: config.journal.activeKeyId,
    });
    expect((await journal.get(policy.id))?.runId).toBe(jobId);

    await restartAndFinish(jobId);

    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);
    expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
    expect(await journal.get(policy.id)).toBeUndefined();
    expect((await infra.records.get(policy.id)).current?.runId).toBe(jobId);
    expect(await currentIsAdmitted()).toBe(true);
  });

  it('after stage: the next daemon verifies and promotes the staged version, issuing and staging once', async () => {
    const jobId = await killAt('staged', { emulator: 'cloudflare', route: 'accessApplication' });
    const staged = (await infra.records.get(policy.id)).inFlight?.versionId;

    await restartAndFinish(jobId);

    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);
    expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
    const record = await infra.records.get(policy.id);
    expect(record.current).toMatchObject({ runId: jobId, versionId: staged });
    const stages = world.aws.store
      .view('crash/cloudflare-access')
      .versions.find((v) => v.versionId === staged);
    expect(stages?.stages).toEqual(['AWSCURRENT']);
    expect(await currentIsAdmitted()).toBe(true);
  });
});
