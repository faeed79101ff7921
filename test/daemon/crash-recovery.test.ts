import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { Journal } from '../../src/state/journal.js';
import type { RunStep } from '../../src/state/policy-record.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';

const HELD_MS = 600_000;
// Short locks so the restarted daemon takes over the killed one's job within seconds.
const WORKER = 'lockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3';

describe.each(providerFixtures)('%s: a daemon killed mid-rotation', (_providerId, startFixture) => {
  let world: ProviderWorld;
  let config: RotorConfig;
  let policy: PolicyConfig;
  let infra: RedisInfrastructure;
  let journal: Journal;
  let workDir: string;
  let configFile: string;
  let running: DaemonProcess | undefined;

  beforeAll(async () => {
    world = await startProviderWorld(startFixture);
    const entry = await world.policy('crash-test', {
      gracePeriod: '10m',
      retry: '{ attempts: 5, backoff: 100ms, maxBackoff: 500ms }',
    });
    config = await world.config([entry], { worker: WORKER });
    policy = config.policies[0] as PolicyConfig;
    workDir = await mkdtemp(join(tmpdir(), 'rotor-crash-'));
    configFile = join(workDir, 'rotor.yaml');
    await writeFile(configFile, world.yaml([entry], { worker: WORKER }));
    infra = connectRedis(config);
    journal = new Journal(infra.redis, {
      prefix: config.redis.prefix,
      keys: config.journal.keys,
      activeKeyId: config.journal.activeKeyId,
    });
  });

  afterAll(async () => {
    await running?.stop();
    await infra?.close();
    await world?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    world.fixture.server.calls.clear();
    world.aws.server.calls.clear();
  });

  /** Holds the run at a call with a delay fault, waits for the checkpoint, then SIGKILLs the daemon. */
  async function killAt(step: RunStep, held: { at: 'aws' | 'vendor'; route: string }): Promise<string> {
    const server = held.at === 'aws' ? world.aws.server : world.fixture.server;
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

  const current = (): unknown => JSON.parse(world.aws.store.valueOf(policy.secret.id) ?? 'null');

  /** One kill, one rotation: whether it was lost or issued twice goes to the fault summary. */
  async function ledger(): Promise<void> {
    recordFaultOutcome({
      suite: 'crash matrix',
      faultsInjected: 1,
      rotationsCompleted: 1,
      credentialsLost: (await world.fixture.accepts(current())) ? 0 : 1,
      duplicateIssues: world.fixture.server.calls.handled(world.fixture.issueRoute).length - 1,
      leakedValues: 0,
    });
  }

  it('after issue and journal: the next daemon stages the journaled credential, issuing once', async () => {
    const jobId = await killAt('journaled', { at: 'aws', route: 'PutSecretValue' });
    expect((await journal.get(policy.id))?.runId).toBe(jobId);

    await restartAndFinish(jobId);
    await ledger();

    expect(world.fixture.server.calls.handled(world.fixture.issueRoute)).toHaveLength(1);
    expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
    expect(await journal.get(policy.id)).toBeUndefined();
    expect((await infra.records.get(policy.id)).current?.runId).toBe(jobId);
    expect(await world.fixture.accepts(current())).toBe(true);
  });

  it('after stage: the next daemon verifies and promotes the staged version, issuing and staging once', async () => {
    const jobId = await killAt('staged', { at: 'vendor', route: world.fixture.verifyRoute });
    const staged = (await infra.records.get(policy.id)).inFlight?.versionId;

    await restartAndFinish(jobId);
    await ledger();

    expect(world.fixture.server.calls.handled(world.fixture.issueRoute)).toHaveLength(1);
    expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
    expect((await infra.records.get(policy.id)).current).toMatchObject({ runId: jobId, versionId: staged });
    expect(await world.fixture.accepts(current())).toBe(true);
  });

  it('after stage and verify: the next daemon promotes the staged version, issuing and staging once', async () => {
    const jobId = await killAt('verified', { at: 'aws', route: 'UpdateSecretVersionStage' });
    const staged = (await infra.records.get(policy.id)).inFlight?.versionId;

    await restartAndFinish(jobId);
    await ledger();

    expect(world.fixture.server.calls.handled(world.fixture.issueRoute)).toHaveLength(1);
    expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
    expect((await infra.records.get(policy.id)).current).toMatchObject({ runId: jobId, versionId: staged });
    const version = world.aws.store.view(policy.secret.id).versions.find((v) => v.versionId === staged);
    expect(version?.stages).toEqual(['AWSCURRENT']);
    expect(await world.fixture.accepts(current())).toBe(true);
  });
});
