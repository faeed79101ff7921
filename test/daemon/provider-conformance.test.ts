import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { revokeJobIdFor } from '../../src/queue/job-payloads.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import type { ProviderFixture } from '../support/provider-fixture.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { type MeasuredOutcome, measureOutcome } from '../support/suite-outcome.js';

/** The grace of the test that watches the displaced credential retire. */
const SHORT_GRACE = '1500ms';
const GRACE_MS = 1_500;
/** Every other test's: the credential its setup run made stays legitimately live while the test runs. */
const LONG_GRACE = '10m';

/** One test's own world: the provider's emulator, AWS's, a Redis prefix, one policy and a daemon. */
interface Scenario {
  readonly world: ProviderWorld;
  readonly vendor: ProviderFixture;
  readonly policy: PolicyConfig;
  readonly infra: RedisInfrastructure;
  readonly aws: AwsSecrets;
  readonly prefix: string;
  readonly logged: ReturnType<typeof memoryLogger>;
  readonly daemon: Daemon;
}

describe.each(providerFixtures)('%s through the daemon', (_providerId, startFixture) => {
  let scenario: Scenario | undefined;

  /** Each test starts from nothing: its own emulators, Redis prefix, policy and daemon. */
  async function open(gracePeriod = LONG_GRACE): Promise<Scenario> {
    const world = await startProviderWorld(startFixture);
    const entry = await world.policy('conformance', {
      gracePeriod,
      retry: '{ attempts: 4, backoff: 100ms, maxBackoff: 200ms }',
    });
    // Short, so a vendor that does not answer is a quick timeout.
    const config = await world.config([entry], { connectionTimeout: '1s' });
    const logged = memoryLogger('info');
    scenario = {
      world,
      vendor: world.fixture,
      policy: config.policies[0] as PolicyConfig,
      infra: connectRedis(config),
      aws: new AwsSecrets(world.aws.client),
      prefix: config.redis.prefix,
      logged,
      daemon: await startDaemon(config, { log: logged.log }),
    };
    return scenario;
  }

  afterEach(async () => {
    await scenario?.daemon.stop();
    await scenario?.infra.close();
    scenario?.aws.close();
    await scenario?.world.close();
    scenario = undefined;
  });

  async function rotateNow({ infra, policy }: Scenario): Promise<Job> {
    const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
    return finishedJob(infra.queue, jobId);
  }

  /** AWSCURRENT's credential, read with the official AWS SDK. */
  const current = async ({ aws, policy }: Scenario) =>
    (await aws.version(policy.secret.id, 'AWSCURRENT'))?.credential;
  const issued = ({ vendor }: Scenario) => vendor.server.calls.handled(vendor.issueRoute).length;

  /** A fault test's starting point: a credential in AWSCURRENT that a failed run must leave in place. */
  async function established(): Promise<Scenario> {
    const opened = await open();
    expect(await (await rotateNow(opened)).getState()).toBe('completed');
    opened.vendor.server.calls.clear();
    return opened;
  }

  const measure = ({ world, aws, policy, logged }: Scenario) =>
    measureOutcome({ world, aws, policies: [policy], texts: [['the daemon log', logged.text()]] });

  /** A fault test's outcome for the fault summary; what was lost, left live or leaked is asserted on. */
  async function ledger(faults: number, job: Job, opened: Scenario): Promise<MeasuredOutcome> {
    const measured = await measure(opened);
    recordFaultOutcome({
      suite: 'provider faults',
      faultsInjected: faults,
      rotationsCompleted: (await job.getState()) === 'completed' ? 1 : 0,
      ...measured.columns,
    });
    expect(measured.lost).toEqual([]);
    expect(measured.extraLive).toEqual([]);
    expect(measured.leaks).toEqual([]);
    return measured;
  }

  it('first run: creates or adopts the secret and the vendor accepts the credential in AWSCURRENT', async () => {
    const opened = await open();

    const job = await rotateNow(opened);

    expect(await job.getState()).toBe('completed');
    const { aws, policy } = opened;
    expect(await aws.tags(policy.secret.id)).toMatchObject({
      'managed-by': 'rotor',
      'rotor-policy': 'conformance',
    });
    const record = await opened.infra.records.get(policy.id);
    const versions = await aws.versions(policy.secret.id);
    expect(versions.find((v) => v.versionId === record.current?.versionId)?.stages).toEqual(['AWSCURRENT']);
    expect(await opened.vendor.accepts(await current(opened))).toBe(true);
    expect(issued(opened)).toBe(1);
    const measured = await measure(opened);
    expect({ lost: measured.lost, extraLive: measured.extraLive }).toEqual({ lost: [], extraLive: [] });
  });

  it('next run: the displaced credential keeps working through the grace period, then no longer', async () => {
    const opened = await open(SHORT_GRACE);
    const { vendor, infra, policy } = opened;
    expect(await (await rotateNow(opened)).getState()).toBe('completed');
    const displaced = await current(opened);

    const job = await rotateNow(opened);

    expect(await job.getState()).toBe('completed');
    expect(await vendor.accepts(await current(opened))).toBe(true);
    const record = await infra.records.get(policy.id);
    const revokeJob = await infra.queue.getJob(revokeJobIdFor(policy.id, record.previous?.versionId ?? ''));
    if (policy.capability === 'overlap') {
      expect(revokeJob).toBeDefined();
      expect((revokeJob?.timestamp ?? 0) + (revokeJob?.opts.delay ?? 0)).toBe(
        (record.lastSuccessAt ?? 0) + GRACE_MS,
      );
      expect(await vendor.accepts(displaced)).toBe(true);
      expect(await (await finishedJob(infra.queue, revokeJob?.id ?? '')).getState()).toBe('completed');
      expect(vendor.server.calls.handled(vendor.revokeRoute ?? '')).toHaveLength(vendor.revokeCalls ?? 1);
      expect(await vendor.accepts(displaced)).toBe(false);
    } else {
      expect(revokeJob).toBeUndefined();
      await eventually('the vendor to retire the displaced credential', async () =>
        (await vendor.accepts(displaced)) ? undefined : true,
      );
    }
    expect(await vendor.accepts(await current(opened))).toBe(true);
    // Past the grace, the vendor holds the current credential and nothing else of rotor's.
    const measured = await measure(opened);
    expect({ lost: measured.lost, extraLive: measured.extraLive }).toEqual({ lost: [], extraLive: [] });
  });

  it('retries a 5xx from the vendor and then succeeds, issuing once', async () => {
    const opened = await established();
    opened.vendor.server.faults.add({
      route: opened.vendor.issueRoute,
      fault: { kind: 'status', status: 503 },
      times: 2,
    });

    const job = await rotateNow(opened);
    await ledger(2, job, opened);

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(3);
    expect(issued(opened)).toBe(1);
  });

  it('retries a dropped connection and a call that timed out, then succeeds, issuing once', async () => {
    const opened = await established();
    const { issueRoute, server } = opened.vendor;
    server.faults.add({ route: issueRoute, fault: { kind: 'drop' }, times: 1 });
    // Held past the connection's 1 s timeout: the client gives up before the vendor acts.
    server.faults.add({ route: issueRoute, fault: { kind: 'delay', delayMs: 5_000 }, times: 1 });

    const job = await rotateNow(opened);
    await ledger(2, job, opened);

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(3);
    expect(issued(opened)).toBe(1);
  });

  it('rides out AWS refusing and then timing out while staging: no loss, one issue, completion after', async () => {
    const opened = await established();
    const aws = opened.world.aws.server.faults;
    aws.add({ route: 'PutSecretValue', fault: { kind: 'status', status: 503 }, times: 1 });
    // Longer than the sink's 2s timeout: the SDK gives up, the attempt fails as transient.
    aws.add({ route: 'PutSecretValue', fault: { kind: 'delay', delayMs: 2_500 }, times: 1 });

    const job = await rotateNow(opened);
    await ledger(2, job, opened);

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(3);
    expect(issued(opened)).toBe(1);
  });

  it('delays a 429 by its Retry-After (the job’s scheduled time) without spending an attempt', async () => {
    const opened = await established();
    const { vendor, infra, policy } = opened;
    vendor.server.faults.add({
      route: vendor.issueRoute,
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

    // BullMQ's Job API: a job moved to delayed keeps its delay from the moment it was moved (between the
    // request and this read), not a due time.
    expect(job.delay).toBeLessThanOrEqual(90_000);
    expect(job.delay).toBeGreaterThanOrEqual(90_000 - (after - before));
    expect(job.attemptsMade).toBe(0);
    await job.promote();
    const finished = await finishedJob(infra.queue, jobId);
    await ledger(1, finished, opened);
    expect(await finished.getState()).toBe('completed');
    expect(issued(opened)).toBe(1);
  });

  it('waits out throttling without Retry-After (vendor 429s, then AWS ThrottlingException) without spending an attempt', async () => {
    const opened = await established();
    // More throttles than the policy has attempts: throttling must never use them up.
    opened.vendor.server.faults.add({
      route: opened.vendor.issueRoute,
      fault: { kind: 'status', status: 429 },
      times: 5,
    });
    opened.world.aws.server.faults.add({
      route: 'PutSecretValue',
      fault: { kind: 'status', status: 429 },
      times: 2,
    });

    const job = await rotateNow(opened);
    await ledger(7, job, opened);

    expect(await job.getState()).toBe('completed');
    // Eight starts, one of them made: the successful one (BullMQ counts the finishing attempt).
    expect(job.attemptsStarted).toBe(8);
    expect(job.attemptsMade).toBe(1);
    expect(issued(opened)).toBe(1);
  });

  it('stops at once on an auth failure, naming the policy, the step and the status; the credential in place keeps working', async () => {
    const opened = await established();
    opened.vendor.server.faults.add({
      route: opened.vendor.issueRoute,
      fault: { kind: 'status', status: 401 },
      times: 1,
    });

    const job = await rotateNow(opened);
    await ledger(1, job, opened);

    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/policy conformance, step issue: .*401/);
    expect((await opened.infra.records.get(opened.policy.id)).lastError?.kind).toBe('auth');
  });

  it('fails a malformed vendor response as a protocol error; the credential in place keeps working', async () => {
    const opened = await established();
    opened.vendor.server.faults.add({
      route: opened.vendor.issueRoute,
      fault: { kind: 'malformed' },
      times: 1,
    });

    const job = await rotateNow(opened);
    await ledger(1, job, opened);

    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/policy conformance, step issue/);
    expect((await opened.infra.records.get(opened.policy.id)).lastError?.kind).toBe('protocol');
  });
});
