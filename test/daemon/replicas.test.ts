import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';

const POLICIES = 50;
const ROUNDS = 4;
const WORKER = 'concurrency: 4\nlockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3';

describe.each(providerFixtures)('%s: three replicas on one Redis', (_providerId, startFixture) => {
  let world: ProviderWorld;
  let config: RotorConfig;
  let infra: RedisInfrastructure;
  let workDir: string;
  let configFile: string;
  const replicas: (DaemonProcess | undefined)[] = [];

  beforeAll(async () => {
    world = await startProviderWorld(startFixture);
    const entries: string[] = [];
    for (let index = 0; index < POLICIES; index++) {
      entries.push(
        await world.policy(`fleet-${index}`, { gracePeriod: '1h', retry: '{ attempts: 5, backoff: 100ms }' }),
      );
    }
    config = await world.config(entries, { worker: WORKER });
    workDir = await mkdtemp(join(tmpdir(), 'rotor-replicas-'));
    configFile = join(workDir, 'rotor.yaml');
    await writeFile(configFile, world.yaml(entries, { worker: WORKER }));
    infra = connectRedis(config);
    for (let index = 0; index < 3; index++) replicas.push(await startDaemonProcess(configFile, world.env));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica?.stop()));
    await infra?.close();
    await world?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function round(onQueued?: () => Promise<void>): Promise<string[]> {
    const jobIds: string[] = [];
    for (const policy of config.policies) {
      jobIds.push((await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() })).jobId);
    }
    await onQueued?.();
    await eventually(
      'every rotation of the round to complete',
      async () => {
        const states = await Promise.all(jobIds.map((id) => infra.queue.getJobState(id)));
        if (states.includes('failed')) throw new Error('a rotation failed');
        return states.every((state) => state === 'completed') ? true : undefined;
      },
      120_000,
    );
    return jobIds;
  }

  it(`run ${POLICIES * ROUNDS} rotations exactly once, one replica SIGKILLed in the middle`, async () => {
    const all: string[] = [];
    for (let index = 0; index < ROUNDS; index++) {
      if (index === 1) {
        world.fixture.server.faults.add({
          route: world.fixture.issueRoute,
          fault: { kind: 'delay', delayMs: 1_500 },
          times: 12,
        });
      }
      all.push(
        ...(await round(
          index === 1
            ? async () => {
                // Hold the round's first issues so every replica has rotations in flight, then kill one.
                await eventually('every replica to be busy', async () =>
                  (await infra.queue.getActiveCount()) >= 12 ? true : undefined,
                );
                await replicas[0]?.kill();
                replicas[0] = undefined;
              }
            : undefined,
        )),
      );
    }

    let lost = 0;
    for (const policy of config.policies) {
      const stored = JSON.parse(world.aws.store.valueOf(policy.secret.id) ?? 'null') as unknown;
      if (!(await world.fixture.accepts(stored))) lost += 1;
    }
    recordFaultOutcome({
      suite: 'replicas',
      faultsInjected: 13,
      rotationsCompleted: all.length,
      credentialsLost: lost,
      duplicateIssues: world.fixture.server.calls.handled(world.fixture.issueRoute).length - all.length,
      leakedValues: 0,
    });
    expect(new Set(all).size).toBe(POLICIES * ROUNDS);
    const events = await infra.redis.xrange(`${config.redis.prefix}:rotations:events`, '-', '+');
    const stalled = events.filter(([, fields]) => fields[1] === 'stalled');
    expect(stalled.length).toBeGreaterThan(0);
    expect(world.fixture.server.calls.handled(world.fixture.issueRoute)).toHaveLength(POLICIES * ROUNDS);
    for (const policy of config.policies) {
      const history = await infra.history.recent(policy.id);
      const succeeded = history.filter((entry) => entry.outcome === 'succeeded');
      expect(succeeded).toHaveLength(ROUNDS);
      expect(new Set(succeeded.map((entry) => entry.runId)).size).toBe(ROUNDS);
      const record = await infra.records.get(policy.id);
      expect(record.inFlight).toBeUndefined();
      const stored = JSON.parse(world.aws.store.valueOf(policy.secret.id) ?? 'null') as unknown;
      expect(await world.fixture.accepts(stored)).toBe(true);
    }
  });
});
