import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { Scene } from '../support/daemon-scene.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { freePort } from '../support/free-port.js';
import { openProviderWorld } from '../support/open-provider-world.js';
import { type SentinelGroup, startSentinelGroup } from '../support/sentinel-group.js';

const API_TOKEN = 'sentinel-suite-api-token-0123456789abcdef';
// Short locks, so the jobs in flight when the master dies are taken over within seconds of the failover.
const WORKER = 'lockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 5';

let group: SentinelGroup;
let scene: Scene;
let apiPort: number;

beforeAll(async () => {
  group = await startSentinelGroup();
  const worldRedis = group.client();
  worldRedis.on('error', () => undefined);
  const world = await openProviderWorld(
    {
      redis: worldRedis,
      prefix: 'rotor-ha',
      url: group.master.url,
      cleanup: async () => worldRedis.disconnect(),
    },
    providerFixtures.map(([, start]) => start),
  );
  const entries = await Promise.all(
    world.fixtures.map((fixture) =>
      world.policy(
        `ha-${fixture.providerId}`,
        { gracePeriod: '10m', retry: '{ attempts: 8, backoff: 200ms, maxBackoff: 2s }' },
        fixture,
      ),
    ),
  );
  apiPort = await freePort();
  scene = await Scene.open(
    world,
    entries,
    {
      redisLocation: group.location,
      worker: WORKER,
      api: `port: ${apiPort}\ntokens: [{ env: SENTINEL_API_TOKEN }]`,
    },
    { SENTINEL_API_TOKEN: API_TOKEN },
  );
  await scene.startDaemon();
}, 60_000);

afterAll(async () => {
  await scene?.close();
  await group?.close();
});

describe('Redis Sentinel', { timeout: 120_000 }, () => {
  it('rotates all four providers through a failover: the master SIGKILLed mid-rotation, every run completes on the promoted replica, AWSCURRENT accepted', async () => {
    const policies = scene.config.policies;
    for (const policy of policies) await scene.rotate(policy);
    const readiness = async () => {
      const response = await fetch(`http://127.0.0.1:${apiPort}/v1/readiness`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      }).catch(() => undefined);
      return response?.status === 200 ? ((await response.json()) as { redis: string | null }) : undefined;
    };
    const before = await eventually('readiness before the failover', readiness);
    const issuesBefore = scene.issues();

    // Every policy's run in flight (the vendors hold their issue calls a moment), then the master dies.
    for (const fixture of scene.world.fixtures) {
      fixture.server.faults.add({
        route: fixture.issueRoute,
        fault: { kind: 'delay', delayMs: 1_500 },
        times: 1,
      });
    }
    const jobIds: string[] = [];
    for (const policy of policies) {
      jobIds.push((await requestRotation(scene.infra.queue, policy, 'manual', { nowMs: Date.now() })).jobId);
    }
    await eventually('every run to be in flight', async () => {
      const records = await Promise.all(policies.map((policy) => scene.infra.records.get(policy.id)));
      return records.every((record) => record.inFlight !== undefined) ? true : undefined;
    });
    // This failover is to a replica in sync (a lagging one is another case): every write so far acknowledged.
    const masterClient = new Redis(group.master.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    expect(await masterClient.call('WAIT', '1', '5000')).toBe(1);
    masterClient.disconnect();
    await group.master.kill();
    await group.promoted();

    const finished = await Promise.all(jobIds.map((jobId) => finishedJob(scene.infra.queue, jobId, 90_000)));
    const states = await Promise.all(finished.map((job) => job.getState()));
    const accepted = await Promise.all(policies.map((policy) => scene.accepts(policy, 'AWSCURRENT')));
    const after = await eventually('readiness after the failover', async () => {
      const answer = await readiness();
      return answer?.redis?.endsWith(`:${group.replica.port}`) ? answer : undefined;
    });
    const issued = scene.issues() - issuesBefore;
    const leaks = await scene.leaks();
    recordFaultOutcome({
      suite: 'redis sentinel',
      faultsInjected: 1,
      rotationsCompleted: states.filter((state) => state === 'completed').length,
      credentialsLost: accepted.filter((ok) => !ok).length,
      duplicateIssues: Math.max(issued - policies.length, 0),
      leakedValues: leaks.length,
    });

    expect(before.redis).toBe(`127.0.0.1:${group.master.port}`);
    expect(states).toEqual(policies.map(() => 'completed'));
    expect(accepted).toEqual(policies.map(() => true));
    expect(after.redis).toBe(`127.0.0.1:${group.replica.port}`);
    // A run whose issue answer died with the master's connection may issue again where the vendor cannot
    // list what rotor made (as in the crash matrix): at most once per run.
    expect(issued).toBeLessThanOrEqual(2 * policies.length);
    expect(scene.alerts('state.lost')).toEqual([]);
    expect(leaks).toEqual([]);
  });
});
