import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { ROTATION_QUEUE } from '../../src/queue/queue-name.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { startTelenorFixture } from '../providers/telenor.fixture.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { measureOutcome } from '../support/suite-outcome.js';

/**
 * How long AWS holds a run's look-up of its secret (the call before the issue step): generous, so the lock is
 * deleted long before the held worker resumes. The sink's timeout is longer still, so that worker goes on to
 * its ownership check instead of timing out.
 */
const HOLD_MS = 5_000;

let world: ProviderWorld;
let config: RotorConfig;
let policy: PolicyConfig;
let infra: RedisInfrastructure;
let aws: AwsSecrets;
let daemon: Daemon | undefined;
const logged = memoryLogger('info');

beforeAll(async () => {
  world = await startProviderWorld(startTelenorFixture);
  const entry = await world.policy('lost-lock', { retry: '{ attempts: 5, backoff: 100ms }' });
  config = await world.config([entry], {
    worker: 'lockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3',
    sinkTimeout: '60s',
  });
  policy = config.policies[0] as PolicyConfig;
  infra = connectRedis(config);
  aws = new AwsSecrets(world.aws.client);
  daemon = await startDaemon(config, { log: logged.log });
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  aws?.close();
  await world?.close();
});

describe('a worker that lost its job lock', () => {
  it('stops before issuing; the run is recovered and issues once', { timeout: 120_000 }, async () => {
    const issues = () => world.fixture.server.calls.handled(world.fixture.issueRoute).length;
    const holdLookUp = () =>
      world.aws.server.faults.add({
        route: 'DescribeSecret',
        fault: { kind: 'delay', delayMs: HOLD_MS },
        times: 1,
      });
    // Hold the run before its issue step (the sink looks the secret up first).
    holdLookUp();
    const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
    await eventually('the run to be held before its issue step', async () => {
      const held = world.aws.server.faults.list().length === 0;
      return held && (await infra.queue.getJobState(jobId)) === 'active' ? true : undefined;
    });
    expect(issues()).toBe(0);
    // The worker that takes the stalled job over is held as long, from later: the first worker resumes first,
    // whatever the machine's speed, and finds its lock gone.
    holdLookUp();
    await infra.redis.del(`${config.redis.prefix}:${ROTATION_QUEUE}:${jobId}:lock`);

    await eventually(
      'the worker that lost the lock to stop',
      () => (logged.text().includes('no longer holds its job lock') ? true : undefined),
      60_000,
    );
    expect(issues()).toBe(0);
    const job = await finishedJob(infra.queue, jobId, 60_000);

    const measured = await measureOutcome({
      world,
      aws,
      policies: [policy],
      texts: [['the daemon log', logged.text()]],
    });
    const completed = (await job.getState()) === 'completed';
    recordFaultOutcome({
      suite: 'lost lock',
      faultsInjected: 1,
      rotationsCompleted: completed ? 1 : 0,
      ...measured.columns,
    });
    expect(completed, job.failedReason).toBe(true);
    // The worker that lost the lock issued nothing: the one issue is the recovered run's.
    expect(issues()).toBe(1);
    expect(measured.lost).toEqual([]);
    expect(measured.extraLive).toEqual([]);
    expect(measured.leaks).toEqual([]);
  });
});
