import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { ROTATION_QUEUE } from '../../src/queue/queue-name.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { startTelenorFixture } from '../providers/telenor.fixture.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';

let world: ProviderWorld;
let config: RotorConfig;
let policy: PolicyConfig;
let infra: RedisInfrastructure;
let daemon: Daemon | undefined;
const logged = memoryLogger('info');

beforeAll(async () => {
  world = await startProviderWorld(startTelenorFixture);
  const entry = await world.policy('lost-lock', { retry: '{ attempts: 5, backoff: 100ms }' });
  config = await world.config([entry], {
    worker: 'lockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3',
  });
  policy = config.policies[0] as PolicyConfig;
  infra = connectRedis(config);
  daemon = await startDaemon(config, { log: logged.log });
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  await world?.close();
});

describe('a worker that lost its job lock', () => {
  it('stops before issuing; the run is recovered and issues once', async () => {
    // Hold the run before its issue step (the sink looks the secret up first), and take its lock away.
    world.aws.server.faults.add({
      route: 'DescribeSecret',
      fault: { kind: 'delay', delayMs: 1_000 },
      times: 1,
    });
    const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
    await eventually('the run to be held', () =>
      world.aws.server.faults.list().length === 0 ? true : undefined,
    );
    await infra.redis.del(`${config.redis.prefix}:${ROTATION_QUEUE}:${jobId}:lock`);

    await eventually('the worker to notice', () =>
      logged.text().includes('stopped before issuing') ? true : undefined,
    );
    expect(world.fixture.server.calls.handled(world.fixture.issueRoute)).toHaveLength(0);

    expect(await (await finishedJob(infra.queue, jobId)).getState()).toBe('completed');
    expect(world.fixture.server.calls.handled(world.fixture.issueRoute)).toHaveLength(1);
    const stored = JSON.parse(world.aws.store.valueOf(policy.secret.id) ?? 'null') as unknown;
    const accepted = await world.fixture.accepts(stored);
    recordFaultOutcome({
      suite: 'lost lock',
      faultsInjected: 1,
      rotationsCompleted: 1,
      credentialsLost: accepted ? 0 : 1,
      duplicateIssues: world.fixture.server.calls.handled(world.fixture.issueRoute).length - 1,
      leakedValues: 0,
    });
    expect(accepted).toBe(true);
  });
});
