import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { providers } from '../../src/providers/registry.js';
import { JOB } from '../../src/queue/job-payloads.js';
import { ORPHAN_SWEEP_SCHEDULER_ID } from '../../src/queue/orphan-sweep-schedule.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';

const listing = providerFixtures.filter(([id]) => providers[id]?.canList);

describe.each(listing)('%s: the orphan sweep', (_providerId, startFixture) => {
  let world: ProviderWorld;
  let infra: RedisInfrastructure;
  let daemon: Daemon | undefined;
  let policy: PolicyConfig;

  beforeAll(async () => {
    world = await startProviderWorld(startFixture);
    const entry = await world.policy('swept', { gracePeriod: '5m' });
    const config = await world.config([entry]);
    policy = config.policies[0] as PolicyConfig;
    infra = connectRedis(config);
    daemon = await startDaemon(config, { log: memoryLogger().log });
  });

  afterAll(async () => {
    await daemon?.stop();
    await infra?.close();
    await world?.close();
  });

  it('is scheduled hourly', async () => {
    expect((await infra.queue.getJobScheduler(ORPHAN_SWEEP_SCHEDULER_ID))?.every).toBe(3_600_000);
  });

  it('deletes what rotor made for the policy that is not current, previous or in flight, once older than the grace', async () => {
    for (let run = 0; run < 2; run++) {
      const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() + run });
      expect(await (await finishedJob(infra.queue, jobId)).getState()).toBe('completed');
    }
    const current = JSON.parse(world.aws.store.valueOf(policy.secret.id) ?? 'null') as unknown;
    const previous = JSON.parse(
      world.aws.store.valueOf(policy.secret.id, { versionStage: 'AWSPREVIOUS' }) ?? 'null',
    ) as unknown;
    const plant = world.fixture.plantRotorCredential?.bind(world.fixture);
    if (!plant) throw new Error('a listing provider’s fixture must plant credentials');
    const abandoned = await plant('swept', `swept-m${Date.now() - 3_600_000}`);
    const fresh = await plant('swept', `swept-m${Date.now() - 60_000}`);
    const otherPolicy = await plant('other', `other-m${Date.now() - 3_600_000}`);

    const sweep = await finishedJob(infra.queue, (await infra.queue.add(JOB.orphanSweep, {})).id ?? '');

    expect(sweep.returnvalue).toBe('orphans deleted: 1, failed: 0');
    expect(await world.fixture.accepts(abandoned)).toBe(false);
    for (const kept of [current, previous, fresh, otherPolicy])
      expect(await world.fixture.accepts(kept)).toBe(true);
  });
});
