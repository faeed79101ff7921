import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { startMoovFixture } from '../providers/moov.fixture.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld, type WorldSections } from '../support/provider-world.js';
import { type MeasuredOutcome, measureOutcome } from '../support/suite-outcome.js';

const POLICIES = 12;
const WORKER = 'concurrency: 8';

/**
 * A burst of rotations against emulators enforcing AWS's write quota and Moov's request quota (scaled down
 * so a burst exceeds them): no rotation may fail or spend an attempt because of a quota.
 */
describe('vendor quotas', () => {
  let world: ProviderWorld | undefined;
  let infra: RedisInfrastructure | undefined;
  let aws: AwsSecrets | undefined;
  let daemon: Daemon | undefined;

  afterEach(async () => {
    await daemon?.stop();
    await infra?.close();
    aws?.close();
    await world?.close();
  });

  /** A burst of rotations with the emulators' quotas scaled to `quotaPerSecond` (AWS writes and Moov alike). */
  async function burst(
    sections: WorldSections,
    quotaPerSecond: number,
  ): Promise<{ jobs: Job[]; throttled: number; config: RotorConfig; measured: MeasuredOutcome }> {
    world = await startProviderWorld(startMoovFixture);
    const perSecond = { requests: quotaPerSecond, perMs: 1_000 };
    world.aws.server.quotas.configure({ enforce: true, overrides: [{ name: 'writes', ...perSecond }] });
    world.fixture.server.quotas.configure({ enforce: true, overrides: [{ name: 'api', ...perSecond }] });
    const entries: string[] = [];
    for (let index = 0; index < POLICIES; index++) {
      // AWS's throttling answer carries no Retry-After: rotor backs off, doubling from `backoff` with each
      // throttle in a row. Capped at 1 s, a burst's waits stay short however the throttles fall.
      entries.push(
        await world.policy(`quota-${index}`, { retry: '{ attempts: 2, backoff: 100ms, maxBackoff: 1s }' }),
      );
    }
    const config = await world.config(entries, { worker: WORKER, ...sections });
    infra = connectRedis(config);
    const { queue } = infra;
    const logged = memoryLogger('info');
    daemon = await startDaemon(config, { log: logged.log });
    const requested = await Promise.all(
      config.policies.map((policy) => requestRotation(queue, policy, 'manual', { nowMs: Date.now() })),
    );
    const jobs = await Promise.all(requested.map(({ jobId }) => finishedJob(queue, jobId)));
    // Counted before the measurement, whose own calls the quotas may throttle too (and it waits those out).
    const throttled = [world.aws.server, world.fixture.server]
      .flatMap((server) => server.calls.all())
      .filter((call) => call.fault === 'quota').length;
    aws = new AwsSecrets(world.aws.client);
    const measured = await measureOutcome({
      world,
      aws,
      policies: config.policies,
      texts: [['the daemon log', logged.text()]],
    });
    recordFaultOutcome({
      suite: 'quotas',
      faultsInjected: throttled,
      rotationsCompleted: (await Promise.all(jobs.map((job) => job.getState()))).filter(
        (s) => s === 'completed',
      ).length,
      ...measured.columns,
    });
    return { jobs, throttled, config, measured };
  }

  it('with rotor’s limits under the quotas, a burst completes and the vendors refuse nothing', async () => {
    const { jobs, throttled, measured } = await burst(
      {
        // Half the quota: rotor counts a call when it lets it go, the vendor when it arrives, and on a busy
        // machine the two can be far apart; a limit close to the quota would make this test depend on timing.
        sinkRateLimit: '{ requests: 5, per: 1s }',
        connectionRateLimit: '{ requests: 5, per: 1s }',
      },
      10,
    );

    expect(await Promise.all(jobs.map((job) => job.getState()))).toEqual(jobs.map(() => 'completed'));
    expect(jobs.map((job) => job.attemptsMade)).toEqual(jobs.map(() => 1));
    expect(throttled).toBe(0);
    expect(measured.lost).toEqual([]);
    expect(measured.extraLive).toEqual([]);
    expect(measured.leaks).toEqual([]);
  });

  // At 4 calls a second the quotas alone stretch the burst over 12 s or more: room for a busy machine.
  it('with rotor’s limits off, the throttling answers are waited out without failing or spending attempts', {
    timeout: 90_000,
  }, async () => {
    // 24 writes and 24 Moov calls against 4 per second: refused even if a busy machine spreads the burst.
    const { jobs, throttled, measured } = await burst(
      { sinkRateLimit: 'false', connectionRateLimit: 'false' },
      4,
    );

    // The quotas did refuse calls: the vendors' answers (ThrottlingException, 429 + Retry-After) were honoured.
    expect(throttled).toBeGreaterThan(0);
    expect(await Promise.all(jobs.map((job) => job.getState()))).toEqual(jobs.map(() => 'completed'));
    expect(jobs.map((job) => job.attemptsMade)).toEqual(jobs.map(() => 1));
    expect(world?.fixture.server.calls.handled(world.fixture.issueRoute)).toHaveLength(POLICIES);
    expect(measured.lost).toEqual([]);
    expect(measured.extraLive).toEqual([]);
    expect(measured.leaks).toEqual([]);
  });
});
