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
import type { ProviderFixture } from '../support/provider-fixture.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';

const POLICIES_PER_PROVIDER = 20;
const ROUNDS = 4;
const WORKER = 'concurrency: 4\nlockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3';
/** Issues held at each vendor in the round a replica is killed, so every replica has rotations in flight. */
const HELD_ISSUES = 4;

describe('three replicas on one Redis, a fleet of every provider', () => {
  let world: ProviderWorld;
  let config: RotorConfig;
  let infra: RedisInfrastructure;
  let workDir: string;
  let configFile: string;
  const replicas: (DaemonProcess | undefined)[] = [];
  /** Which provider each policy rotates with. */
  const providerOf = new Map<string, ProviderFixture>();

  beforeAll(async () => {
    const [first, ...others] = providerFixtures.map(([, start]) => start);
    if (!first) throw new Error('no provider fixtures');
    world = await startProviderWorld(first, ...others);
    const entries: string[] = [];
    for (const fixture of world.fixtures) {
      for (let index = 0; index < POLICIES_PER_PROVIDER; index++) {
        const id = `${fixture.providerId}-${index}`;
        providerOf.set(id, fixture);
        const options = { gracePeriod: '1h', retry: '{ attempts: 5, backoff: 100ms }' };
        entries.push(await world.policy(id, options, fixture));
      }
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

  /** Runs of this provider the surviving replicas took over at an issue whose outcome never reached them. */
  const resumedFromUnansweredIssue = (providerId: string): number =>
    replicas
      .flatMap((replica) => replica?.output().split('\n') ?? [])
      .filter(
        (line) =>
          line.includes(`"provider":"${providerId}"`) &&
          line.includes(
            '"msg":"an earlier issue attempt of this run did not reach the journal; issuing again"',
          ),
      ).length;

  it(`run ${POLICIES_PER_PROVIDER * 4 * ROUNDS} due rotations across four providers exactly once, one replica SIGKILLed in the middle`, async () => {
    const all: string[] = [];
    for (let index = 0; index < ROUNDS; index++) {
      const killing = index === 1;
      if (killing) {
        for (const fixture of world.fixtures) {
          fixture.server.faults.add({
            route: fixture.issueRoute,
            fault: { kind: 'delay', delayMs: 1_500 },
            times: HELD_ISSUES,
          });
        }
      }
      const killOne = async () => {
        await eventually('every replica to be busy', async () =>
          (await infra.queue.getActiveCount()) >= 12 ? true : undefined,
        );
        await replicas[0]?.kill();
        replicas[0] = undefined;
      };
      all.push(...(await round(killing ? killOne : undefined)));
    }

    let lost = 0;
    for (const policy of config.policies) {
      const stored = JSON.parse(world.aws.store.valueOf(policy.secret.id) ?? 'null') as unknown;
      if (!(await providerOf.get(policy.id)?.accepts(stored))) lost += 1;
    }
    // An issue call in flight when the replica died may have been carried out with its answer lost. Providers
    // that can list what rotor made find it by its run; the others' APIs cannot, so that run issues again:
    // at most once per run that the surviving replicas resumed from an unanswered issue.
    const expected = POLICIES_PER_PROVIDER * ROUNDS;
    const beyondOnePerRun = { findable: 0, unfindable: 0 };
    for (const fixture of world.fixtures) {
      const extra = issuesAt(fixture) - expected;
      if (fixture.plantRotorCredential) {
        beyondOnePerRun.findable += extra;
        expect({ provider: fixture.providerId, extra }).toEqual({ provider: fixture.providerId, extra: 0 });
      } else {
        beyondOnePerRun.unfindable += extra;
        expect(extra).toBeGreaterThanOrEqual(0);
        expect(extra).toBeLessThanOrEqual(resumedFromUnansweredIssue(fixture.providerId));
      }
    }
    recordFaultOutcome({
      suite: 'replicas',
      faultsInjected: 1 + HELD_ISSUES * world.fixtures.length,
      rotationsCompleted: all.length,
      credentialsLost: lost,
      duplicateIssues: beyondOnePerRun.findable,
      leakedValues: 0,
    });
    if (beyondOnePerRun.unfindable > 0) {
      recordFaultOutcome({
        suite: 'issue answer lost (vendor cannot list)',
        faultsInjected: 0,
        rotationsCompleted: 0,
        credentialsLost: 0,
        duplicateIssues: beyondOnePerRun.unfindable,
        leakedValues: 0,
      });
    }
    expect(lost).toBe(0);
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
