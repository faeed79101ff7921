import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import type { RunStep } from '../../src/domain/policy-record.js';
import type { Fault } from '../../src/emulator-harness/fault-plan.js';
import { revokeJobIdFor } from '../../src/queue/job-payloads.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { Journal } from '../../src/state/journal.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { revokesSettled } from '../support/revokes-settled.js';
import { type MeasuredOutcome, measureOutcome } from '../support/suite-outcome.js';

const HELD_MS = 600_000;
const GRACE_MS = 2_000;
// Short locks so the restarted daemon takes over the killed one's job within seconds.
const WORKER = 'lockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3';

describe.each(providerFixtures)(
  '%s: a daemon killed mid-rotation',
  { timeout: 90_000 },
  (_providerId, startFixture) => {
    let world: ProviderWorld;
    let config: RotorConfig;
    let policy: PolicyConfig;
    let infra: RedisInfrastructure;
    let aws: AwsSecrets;
    let journal: Journal;
    let workDir: string;
    let configFile: string;
    let running: DaemonProcess | undefined;
    /** Everything every daemon of this provider printed, scanned for secrets in each fault's row. */
    const output: string[] = [];

    beforeAll(async () => {
      world = await startProviderWorld(startFixture);
      const entry = await world.policy('crash-test', {
        gracePeriod: `${GRACE_MS}ms`,
        retry: '{ attempts: 5, backoff: 100ms, maxBackoff: 500ms }',
      });
      config = await world.config([entry], { worker: WORKER });
      policy = config.policies[0] as PolicyConfig;
      workDir = await mkdtemp(join(tmpdir(), 'rotor-crash-'));
      configFile = join(workDir, 'rotor.yaml');
      await writeFile(configFile, world.yaml([entry], { worker: WORKER }));
      infra = connectRedis(config);
      aws = new AwsSecrets(world.aws.client);
      journal = new Journal(infra.redis, {
        prefix: config.redis.prefix,
        keys: config.journal.keys,
        activeKeyId: config.journal.activeKeyId,
      });
    });

    afterAll(async () => {
      await running?.stop();
      await infra?.close();
      aws?.close();
      await world?.close();
      await rm(workDir, { recursive: true, force: true });
    });

    beforeEach(() => {
      world.fixture.server.calls.clear();
      world.aws.server.calls.clear();
    });

    const vendor = () => world.fixture.server;
    const issues = () => vendor().calls.handled(world.fixture.issueRoute).length;
    /** AWSCURRENT, read with the official AWS SDK. */
    const current = () => aws.version(policy.secret.id, 'AWSCURRENT');

    /**
     * Holds the run at a call (a delay fault unless told otherwise), waits until the run has checkpointed
     * `step` and the call is held, then SIGKILLs the daemon.
     */
    async function killAt(
      step: RunStep,
      held: { at: 'aws' | 'vendor'; route: string; fault?: Fault },
      heldWhen: () => boolean = () => true,
    ): Promise<string> {
      const server = held.at === 'aws' ? world.aws.server : vendor();
      const fault = held.fault ?? { kind: 'delay', delayMs: HELD_MS };
      server.faults.add({ route: held.route, fault, times: 1 });
      running = await startDaemonProcess(configFile, world.env, output);
      const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
      await eventually(`the run to be held after ${step}`, async () => {
        const inFlight = (await infra.records.get(policy.id)).inFlight;
        const requestHeld = server.faults.list().length === 0 && heldWhen();
        return inFlight?.runId === jobId && inFlight.step === step && requestHeld ? true : undefined;
      });
      await running.kill();
      running = undefined;
      return jobId;
    }

    /**
     * Starts a daemon, lets it finish the run, revoke what the run displaced and outlast the grace period
     * (so "at most current and previous live" can be checked), then stops it.
     */
    async function restartAndFinish(jobId: string): Promise<void> {
      running = await startDaemonProcess(configFile, world.env, output);
      await eventually(
        `the restarted daemon to finish ${jobId}`,
        async () =>
          (await (await infra.queue.getJob(jobId))?.getState()) === 'completed' ? true : undefined,
        60_000,
      );
      await graceOver();
      await running.stop();
      running = undefined;
    }

    async function graceOver(): Promise<void> {
      await revokesSettled(infra.queue);
      await eventually('the grace period to be over', async () => {
        const committedAt = (await infra.records.get(policy.id)).lastSuccessAt ?? Number.POSITIVE_INFINITY;
        return Date.now() > committedAt + GRACE_MS ? true : undefined;
      });
      const failed = await infra.queue.getJobs(['failed']);
      expect(failed.map((job) => `${job.name}: ${job.failedReason}`)).toEqual([]);
    }

    /**
     * What every kill must leave: the run complete, nothing journaled, nothing lost, nothing leaked, and, the
     * grace being over, nothing live at the vendor but AWSCURRENT's credential (`orphans` more where the
     * vendor cannot list what rotor made and an issue answer was lost).
     */
    async function expectNothingLostOrLeftOver(
      jobId: string,
      measured: MeasuredOutcome,
      orphans = 0,
    ): Promise<void> {
      expect(await journal.get(policy.id)).toBeUndefined();
      const record = await infra.records.get(policy.id);
      expect(record.inFlight).toBeUndefined();
      expect(record.current?.runId).toBe(jobId);
      expect(measured.lost).toEqual([]);
      expect(measured.leaks).toEqual([]);
      expect(measured.extraLive.length).toBeLessThanOrEqual(orphans);
    }

    /** One kill, one rotation, measured for the fault summary once the grace is over. */
    async function ledger(jobId: string, suite = 'crash matrix'): Promise<MeasuredOutcome> {
      const measured = await measureOutcome({
        world,
        aws,
        policies: [policy],
        texts: [['the daemon output', output.join('')]],
      });
      const completed = (await infra.queue.getJobState(jobId)) === 'completed';
      recordFaultOutcome({
        suite,
        faultsInjected: 1,
        rotationsCompleted: completed ? 1 : 0,
        ...measured.columns,
      });
      return measured;
    }

    it('after the issuing checkpoint, before the vendor acted: the next daemon issues once', async () => {
      const jobId = await killAt('issuing', { at: 'vendor', route: world.fixture.issueRoute });
      // The held request died with the daemon: the vendor never handled it.
      expect(issues()).toBe(0);

      await restartAndFinish(jobId);
      const measured = await ledger(jobId);

      expect(issues()).toBe(1);
      expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
      await expectNothingLostOrLeftOver(jobId, measured);
    });

    it('after issue and journal: the next daemon stages the journaled credential, issuing once', async () => {
      const jobId = await killAt('journaled', { at: 'aws', route: 'PutSecretValue' });
      expect((await journal.get(policy.id))?.runId).toBe(jobId);

      await restartAndFinish(jobId);
      const measured = await ledger(jobId);

      expect(issues()).toBe(1);
      expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
      await expectNothingLostOrLeftOver(jobId, measured);
    });

    it('after stage: the next daemon verifies and promotes the staged version, issuing and staging once', async () => {
      const jobId = await killAt('staged', { at: 'vendor', route: world.fixture.verifyRoute });
      const staged = (await infra.records.get(policy.id)).inFlight?.versionId;

      await restartAndFinish(jobId);
      const measured = await ledger(jobId);

      expect(issues()).toBe(1);
      expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
      expect((await current())?.versionId).toBe(staged);
      await expectNothingLostOrLeftOver(jobId, measured);
    });

    it('after stage and verify: the next daemon verifies again and promotes the staged version, issuing and staging once', async () => {
      // Verify is not checkpointed: the record says staged while the promote call is held.
      const jobId = await killAt('staged', { at: 'aws', route: 'UpdateSecretVersionStage' });
      const staged = (await infra.records.get(policy.id)).inFlight?.versionId;

      await restartAndFinish(jobId);
      const measured = await ledger(jobId);

      expect(issues()).toBe(1);
      expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
      const versions = await aws.versions(policy.secret.id);
      expect(versions.find((version) => version.versionId === staged)?.stages).toEqual(['AWSCURRENT']);
      await expectNothingLostOrLeftOver(jobId, measured);
    });

    it('after commit, while the revoke of the displaced credential is in flight: the next daemon retires it, revoking once', async (ctx) => {
      const { revokeRoute, revokeCalls = 1 } = world.fixture;
      ctx.skip(
        revokeRoute === undefined,
        'the vendor retires the displaced credential itself (native grace): rotor sends no revoke to kill',
      );
      running = await startDaemonProcess(configFile, world.env, output);
      // The run displaces the credential a previous run made (this one, if the test runs alone).
      if ((await current()) === undefined) {
        const { jobId: first } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
        expect(await (await finishedJob(infra.queue, first)).getState()).toBe('completed');
      }
      const displaced = await current();
      vendor().calls.clear();
      vendor().faults.add({ route: revokeRoute ?? '', fault: { kind: 'delay', delayMs: HELD_MS }, times: 1 });
      const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
      const revokeJobId = revokeJobIdFor(policy.id, displaced?.versionId ?? '');
      await eventually('the run to commit and the vendor to hold its revoke request', async () => {
        const committed = (await infra.records.get(policy.id)).current?.runId === jobId;
        const revoking = (await infra.queue.getJobState(revokeJobId)) === 'active';
        const requestHeld = vendor().faults.list().length === 0;
        return committed && revoking && requestHeld ? true : undefined;
      });
      // In flight, not done: the vendor has not acted on it and still accepts the displaced credential.
      expect(vendor().calls.handled(revokeRoute ?? '')).toHaveLength(0);
      expect(await world.fixture.accepts(displaced?.credential)).toBe(true);
      await running.kill();
      running = undefined;

      await restartAndFinish(jobId);
      const measured = await ledger(jobId);

      expect(issues()).toBe(1);
      // The held request died with the daemon unhandled; the next daemon made the whole revoke, once.
      expect(vendor().calls.handled(revokeRoute ?? '')).toHaveLength(revokeCalls);
      expect(await infra.queue.getJobState(revokeJobId)).toBe('completed');
      expect(await world.fixture.accepts(displaced?.credential)).toBe(false);
      await expectNothingLostOrLeftOver(jobId, measured);
    });

    it('when the vendor issued but its answer was lost with the daemon: the run completes; past the grace only the current credential is live, and the lost one where the vendor cannot list', async () => {
      const jobId = await killAt(
        'issuing',
        { at: 'vendor', route: world.fixture.issueRoute, fault: { kind: 'hold-response', delayMs: HELD_MS } },
        () => issues() === 1,
      );

      await restartAndFinish(jobId);

      // Providers that can list what rotor made find the credential by its run and adopt it; the others'
      // APIs cannot find a credential whose only copy was in the lost answer, so the run issues again, and
      // the lost credential stays live unless the vendor retires it itself (Cloudflare's secret is replaced).
      const findsLostIssue = world.fixture.plantRotorCredential !== undefined;
      const measured = await ledger(
        jobId,
        findsLostIssue ? 'crash matrix' : 'issue answer lost (vendor cannot list)',
      );
      expect(issues()).toBe(findsLostIssue ? 1 : 2);
      await expectNothingLostOrLeftOver(jobId, measured, findsLostIssue ? 0 : 1);
    });
  },
);
