import type { Job } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { revokeJobIdFor } from '../../src/queue/job-payloads.js';
import { ROTATION_QUEUE } from '../../src/queue/queue-name.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';

const GRACE_MS = 1_500;

describe.each(providerFixtures)('%s through the daemon', (_providerId, startFixture) => {
  let world: ProviderWorld;
  let config: RotorConfig;
  let policy: PolicyConfig;
  let infra: RedisInfrastructure;
  let daemon: Daemon | undefined;
  const secretId = () => policy.secret.id;

  beforeAll(async () => {
    world = await startProviderWorld(startFixture);
    const entry = await world.policy('conformance', {
      gracePeriod: `${GRACE_MS}ms`,
      retry: '{ attempts: 4, backoff: 100ms, maxBackoff: 200ms }',
    });
    // Short, so a vendor that does not answer is a quick timeout.
    config = await world.config([entry], { connectionTimeout: '1s' });
    policy = config.policies[0] as PolicyConfig;
    infra = connectRedis(config);
    daemon = await startDaemon(config, { log: memoryLogger('info').log });
  });

  afterAll(async () => {
    await daemon?.stop();
    await infra?.close();
    await world?.close();
  });

  beforeEach(() => {
    world.fixture.server.faults.clear();
    world.fixture.server.calls.clear();
  });

  async function rotateNow(): Promise<Job> {
    const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
    return finishedJob(infra.queue, jobId);
  }

  const current = (): unknown => JSON.parse(world.aws.store.valueOf(secretId()) ?? 'null');
  const issued = () => world.fixture.server.calls.handled(world.fixture.issueRoute).length;

  /** A fault test's outcome for the fault summary. */
  async function ledger(faults: number, job: Job): Promise<void> {
    const completed = (await job.getState()) === 'completed';
    recordFaultOutcome({
      suite: 'provider faults',
      faultsInjected: faults,
      rotationsCompleted: completed ? 1 : 0,
      credentialsLost: (await world.fixture.accepts(current())) ? 0 : 1,
      duplicateIssues: Math.max(issued() - 1, 0),
      leakedValues: 0,
    });
  }

  it('first run: creates or adopts the secret and the vendor accepts the credential in AWSCURRENT', async () => {
    const job = await rotateNow();

    expect(await job.getState()).toBe('completed');
    const view = world.aws.store.view(secretId());
    expect(view.tags).toMatchObject({ 'managed-by': 'rotor', 'rotor-policy': 'conformance' });
    const record = await infra.records.get(policy.id);
    expect(view.versions.find((v) => v.versionId === record.current?.versionId)?.stages).toEqual([
      'AWSCURRENT',
    ]);
    expect(await world.fixture.accepts(current())).toBe(true);
    expect(issued()).toBe(1);
  });

  it('next run: the displaced credential keeps working through the grace period, then no longer', async () => {
    const displaced = current();

    const job = await rotateNow();

    expect(await job.getState()).toBe('completed');
    expect(await world.fixture.accepts(current())).toBe(true);
    const record = await infra.records.get(policy.id);
    const revokeJob = await infra.queue.getJob(revokeJobIdFor(policy.id, record.previous?.versionId ?? ''));
    if (policy.capability === 'overlap') {
      expect(revokeJob).toBeDefined();
      expect((revokeJob?.timestamp ?? 0) + (revokeJob?.opts.delay ?? 0)).toBe(
        (record.lastSuccessAt ?? 0) + GRACE_MS,
      );
      expect(await world.fixture.accepts(displaced)).toBe(true);
      expect(await (await finishedJob(infra.queue, revokeJob?.id ?? '')).getState()).toBe('completed');
      expect(world.fixture.server.calls.handled(world.fixture.revokeRoute ?? '')).toHaveLength(
        world.fixture.revokeCalls ?? 1,
      );
      expect(await world.fixture.accepts(displaced)).toBe(false);
    } else {
      expect(revokeJob).toBeUndefined();
      await eventually('the vendor to retire the displaced credential', async () =>
        (await world.fixture.accepts(displaced)) ? undefined : true,
      );
    }
    expect(await world.fixture.accepts(current())).toBe(true);
  });

  it('retries a 5xx from the vendor and then succeeds, issuing once', async () => {
    world.fixture.server.faults.add({
      route: world.fixture.issueRoute,
      fault: { kind: 'status', status: 503 },
      times: 2,
    });

    const job = await rotateNow();
    await ledger(2, job);

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(3);
    expect(issued()).toBe(1);
  });

  it('retries a dropped connection and a call that timed out, then succeeds, issuing once', async () => {
    const { issueRoute } = world.fixture;
    world.fixture.server.faults.add({ route: issueRoute, fault: { kind: 'drop' }, times: 1 });
    // Held past the connection's 1 s timeout: the client gives up before the vendor acts.
    world.fixture.server.faults.add({
      route: issueRoute,
      fault: { kind: 'delay', delayMs: 5_000 },
      times: 1,
    });

    const job = await rotateNow();
    await ledger(2, job);

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(3);
    expect(issued()).toBe(1);
  });

  it('rides out AWS refusing and then timing out while staging: no loss, one issue, completion after', async () => {
    world.aws.server.faults.add({
      route: 'PutSecretValue',
      fault: { kind: 'status', status: 503 },
      times: 1,
    });
    // Longer than the sink's 2s timeout: the SDK gives up, the attempt fails as transient.
    world.aws.server.faults.add({
      route: 'PutSecretValue',
      fault: { kind: 'delay', delayMs: 2_500 },
      times: 1,
    });

    const job = await rotateNow();
    await ledger(2, job);

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(3);
    expect(issued()).toBe(1);
    expect(await world.fixture.accepts(current())).toBe(true);
  });

  it('delays a 429 by its Retry-After (the job’s scheduled time) without spending an attempt', async () => {
    world.fixture.server.faults.add({
      route: world.fixture.issueRoute,
      fault: { kind: 'rate-limit', retryAfterSeconds: 90 },
      times: 1,
    });
    const before = Date.now();
    const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: before });

    const job = await eventually('the job to be delayed', async () => {
      const found = await infra.queue.getJob(jobId);
      return (await found?.getState()) === 'delayed' ? found : undefined;
    });
    const after = Date.now();
    const score = Number(await infra.redis.zscore(`${config.redis.prefix}:${ROTATION_QUEUE}:delayed`, jobId));

    expect(Math.floor(score / 0x1000)).toBeGreaterThanOrEqual(before + 90_000);
    expect(Math.floor(score / 0x1000)).toBeLessThanOrEqual(after + 90_000);
    expect(job.attemptsMade).toBe(0);
    await job.promote();
    const finished = await finishedJob(infra.queue, jobId);
    await ledger(1, finished);
    expect(await finished.getState()).toBe('completed');
  });

  it('waits out throttling without Retry-After (vendor 429s, then AWS ThrottlingException) without spending an attempt', async () => {
    // More throttles than the policy has attempts: throttling must never use them up.
    world.fixture.server.faults.add({
      route: world.fixture.issueRoute,
      fault: { kind: 'status', status: 429 },
      times: 5,
    });
    world.aws.server.faults.add({
      route: 'PutSecretValue',
      fault: { kind: 'status', status: 429 },
      times: 2,
    });

    const job = await rotateNow();
    await ledger(7, job);

    expect(await job.getState()).toBe('completed');
    // Eight starts, one of them made: the successful one (BullMQ counts the finishing attempt).
    expect(job.attemptsStarted).toBe(8);
    expect(job.attemptsMade).toBe(1);
    expect(issued()).toBe(1);
    expect(await world.fixture.accepts(current())).toBe(true);
  });

  it('stops at once on an auth failure, naming the policy, the step and the status', async () => {
    world.fixture.server.faults.add({
      route: world.fixture.issueRoute,
      fault: { kind: 'status', status: 401 },
      times: 1,
    });

    const job = await rotateNow();
    await ledger(1, job);

    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/policy conformance, step issue: .*401/);
    expect((await infra.records.get(policy.id)).lastError?.kind).toBe('auth');
  });

  it('fails a malformed vendor response as a protocol error', async () => {
    world.fixture.server.faults.add({
      route: world.fixture.issueRoute,
      fault: { kind: 'malformed' },
      times: 1,
    });

    const job = await rotateNow();
    await ledger(1, job);

    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/policy conformance, step issue/);
    expect((await infra.records.get(policy.id)).lastError?.kind).toBe('protocol');
  });
});
