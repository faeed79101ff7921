import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import type { ProviderFixture } from '../support/provider-fixture.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { measureOutcome } from '../support/suite-outcome.js';

const POLICIES_PER_PROVIDER = 20;
const ROUNDS = 4;
const REPLICAS = 3;
const CONCURRENCY = 4;
const WORKER = `concurrency: ${CONCURRENCY}\nlockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3`;
/**
 * Every vendor call's deadline. In the round a replica is killed the vendors hold every issue call until every
 * worker slot holds one and the test has killed a replica; the survivors' held calls then end at this deadline
 * (far beyond the time the slots take to fill) and are retried. A held call ends before the vendor acts, so
 * none of them issued anything.
 */
const CONNECTION_TIMEOUT = '20s';
/** More issue calls than the kill round can make: the vendors hold each one until the faults are cleared. */
const HOLD_ALL = 100_000;

describe('three replicas on one Redis, a fleet of every provider', () => {
  let world: ProviderWorld;
  let config: RotorConfig;
  let infra: RedisInfrastructure;
  let aws: AwsSecrets;
  let workDir: string;
  let configFile: string;
  const replicas: (DaemonProcess | undefined)[] = [];
  /** Everything every replica printed, the killed one's too. */
  const output: string[] = [];

  beforeAll(async () => {
    const [first, ...others] = providerFixtures.map(([, start]) => start);
    if (!first) throw new Error('no provider fixtures');
    world = await startProviderWorld(first, ...others);
    const entries: string[] = [];
    for (const fixture of world.fixtures) {
      for (let index = 0; index < POLICIES_PER_PROVIDER; index++) {
        const id = `${fixture.providerId}-${index}`;
        const options = { gracePeriod: '1h', retry: '{ attempts: 5, backoff: 100ms }' };
        entries.push(await world.policy(id, options, fixture));
      }
    }
    const sections = { worker: WORKER, connectionTimeout: CONNECTION_TIMEOUT };
    config = await world.config(entries, sections);
    workDir = await mkdtemp(join(tmpdir(), 'rotor-replicas-'));
    configFile = join(workDir, 'rotor.yaml');
    await writeFile(configFile, world.yaml(entries, sections));
    infra = connectRedis(config);
    aws = new AwsSecrets(world.aws.client);
    for (let index = 0; index < REPLICAS; index++)
      replicas.push(await startDaemonProcess(configFile, world.env, output));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica?.stop()));
    await infra?.close();
    aws?.close();
    await world?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  /** The whole fleet falls due at one instant (as its schedulers would fire it): one run per policy. */
  async function round(onDue?: () => Promise<void>): Promise<string[]> {
    const nowMs = Date.now();
    const dueMs = nowMs + 500;
    const jobIds = await Promise.all(
      config.policies.map(
        async (policy) =>
          (await requestRotation(infra.queue, policy, 'schedule', { nowMs, dueMs, delayMs: dueMs - nowMs }))
            .jobId,
      ),
    );
    await onDue?.();
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

  const issuesAt = (fixture: ProviderFixture) => fixture.server.calls.handled(fixture.issueRoute).length;
  const heldCalls = () =>
    world.fixtures.flatMap((fixture) => fixture.server.calls.all()).filter((call) => call.fault === 'delay')
      .length;

  /** Issue calls the vendors have held so far in the kill round (each one a worker slot waiting). */
  const heldSoFar = () =>
    world.fixtures
      .flatMap((fixture) => fixture.server.faults.list())
      .reduce((sum, rule) => sum + (HOLD_ALL - (rule.times ?? HOLD_ALL)), 0);

  /**
   * Every vendor holds every issue call until every worker slot of every replica holds one (nothing can finish
   * meanwhile, so the slots fill however slow the machine), then one replica is SIGKILLed with its runs in
   * flight and the vendors let new calls through.
   */
  async function killOneWithRunsInFlight(): Promise<void> {
    await eventually(
      'every worker slot of every replica to be held at a vendor',
      () => (heldSoFar() >= REPLICAS * CONCURRENCY ? true : undefined),
      60_000,
    );
    await replicas[0]?.kill();
    replicas[0] = undefined;
    for (const fixture of world.fixtures) fixture.server.faults.clear(fixture.issueRoute);
  }

  it(`run ${POLICIES_PER_PROVIDER * 4 * ROUNDS} due rotations across four providers exactly once, one replica SIGKILLed in the middle`, {
    timeout: 240_000,
  }, async () => {
    const all: string[] = [];
    for (let index = 0; index < ROUNDS; index++) {
      const killing = index === 1;
      if (killing) {
        for (const fixture of world.fixtures) {
          fixture.server.faults.add({
            route: fixture.issueRoute,
            fault: { kind: 'delay', delayMs: 600_000 },
            times: HOLD_ALL,
          });
        }
      }
      all.push(...(await round(killing ? killOneWithRunsInFlight : undefined)));
    }

    const measured = await measureOutcome({
      world,
      aws,
      policies: config.policies,
      texts: [['the replicas’ output', output.join('')]],
    });
    recordFaultOutcome({
      suite: 'replicas',
      // The kill, and each issue call a vendor held (each ended without the vendor acting).
      faultsInjected: 1 + heldCalls(),
      rotationsCompleted: all.length,
      ...measured.columns,
    });
    // The held calls never reached a vendor's handler and no answer it gave was lost: each run issued
    // exactly once, wherever the vendor can or cannot list what rotor made.
    expect(
      Object.fromEntries(world.fixtures.map((fixture) => [fixture.providerId, issuesAt(fixture)])),
    ).toEqual(
      Object.fromEntries(
        world.fixtures.map((fixture) => [fixture.providerId, POLICIES_PER_PROVIDER * ROUNDS]),
      ),
    );
    expect(heldCalls()).toBeGreaterThanOrEqual(REPLICAS * CONCURRENCY);
    expect(measured.lost).toEqual([]);
    // Live at the vendors: each policy's current credential and those it displaced (a 1 h grace), nothing else.
    expect(measured.extraLive).toEqual([]);
    expect(measured.leaks).toEqual([]);
    expect(new Set(all).size).toBe(config.policies.length * ROUNDS);
    const events = await infra.redis.xrange(`${config.redis.prefix}:rotations:events`, '-', '+');
    const stalled = events.filter(([, fields]) => fields[1] === 'stalled');
    expect(stalled.length).toBeGreaterThan(0);
    for (const policy of config.policies) {
      const history = await infra.history.recent(policy.id);
      const succeeded = history.filter((entry) => entry.outcome === 'succeeded');
      expect(succeeded).toHaveLength(ROUNDS);
      expect(new Set(succeeded.map((entry) => entry.runId)).size).toBe(ROUNDS);
      expect((await infra.records.get(policy.id)).inFlight).toBeUndefined();
    }
  });
});
