import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { startMoovFixture } from '../providers/moov.fixture.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld, type WorldSections } from '../support/provider-world.js';

const POLICIES = 24;
const WORKER = 'concurrency: 8';

/**
 * A burst of rotations against emulators enforcing AWS's write quota and Moov's request quota (scaled down
 * so a burst exceeds them): no rotation may fail or spend an attempt because of a quota.
 */
describe('vendor quotas', () => {
  let world: ProviderWorld | undefined;
  let infra: RedisInfrastructure | undefined;
  let daemon: Daemon | undefined;

  afterEach(async () => {
    await daemon?.stop();
    await infra?.close();
    await world?.close();
  });

  async function burst(
    sections: WorldSections,
  ): Promise<{ jobs: Job[]; throttled: number; config: RotorConfig }> {
    world = await startProviderWorld(startMoovFixture);
    world.aws.server.quotas.configure({ enforce: true, overrides: [{ name: 'writes', requests: 10 }] });
    world.fixture.server.quotas.configure({ enforce: true, overrides: [{ name: 'api', requests: 10 }] });
    const entries: string[] = [];
    for (let index = 0; index < POLICIES; index++) {
      entries.push(await world.policy(`quota-${index}`, { retry: '{ attempts: 2, backoff: 100ms }' }));
    }
    const config = await world.config(entries, { worker: WORKER, ...sections });
    infra = connectRedis(config);
    const { queue } = infra;
    daemon = await startDaemon(config, { log: memoryLogger('info').log });
    const requested = await Promise.all(
      config.policies.map((policy) => requestRotation(queue, policy, 'manual', { nowMs: Date.now() })),
    );
    const jobs = await Promise.all(requested.map(({ jobId }) => finishedJob(queue, jobId)));
    const throttled = [world.aws.server, world.fixture.server]
      .flatMap((server) => server.calls.all())
      .filter((call) => call.fault === 'quota').length;
    recordFaultOutcome({
      suite: 'quotas',
      faultsInjected: throttled,
      rotationsCompleted: (await Promise.all(jobs.map((job) => job.getState()))).filter(
        (s) => s === 'completed',
      ).length,
      credentialsLost: 0,
      duplicateIssues: world.fixture.server.calls.handled(world.fixture.issueRoute).length - POLICIES,
      leakedValues: 0,
    });
    return { jobs, throttled, config };
  }

  it('with rotor’s limits under the quotas, a burst completes and the vendors refuse nothing', async () => {
    const { jobs, throttled } = await burst({
      sinkRateLimit: '{ requests: 9, per: 1s }',
      connectionRateLimit: '{ requests: 9, per: 1s }',
    });

    expect(await Promise.all(jobs.map((job) => job.getState()))).toEqual(jobs.map(() => 'completed'));
    expect(jobs.map((job) => job.attemptsMade)).toEqual(jobs.map(() => 1));
    expect(throttled).toBe(0);
  });

  it('with rotor’s limits off, the throttling answers are waited out without failing or spending attempts', async () => {
    const { jobs, throttled } = await burst({ sinkRateLimit: 'false', connectionRateLimit: 'false' });

    // The quotas did refuse calls: the vendors' answers (ThrottlingException, 429 + Retry-After) were honoured.
    expect(throttled).toBeGreaterThan(0);
    expect(await Promise.all(jobs.map((job) => job.getState()))).toEqual(jobs.map(() => 'completed'));
    expect(jobs.map((job) => job.attemptsMade)).toEqual(jobs.map(() => 1));
    expect(world?.fixture.server.calls.handled(world.fixture.issueRoute)).toHaveLength(POLICIES);
  });
});
