import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import type { Fault } from '../../src/emulation/fault-plan.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { Journal } from '../../src/state/journal.js';
import type { RunStep } from '../../src/state/policy-record.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { dumpKeys, leaksIn } from '../support/redis.js';

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
      journal = new Journal(infra.redis, {
        prefix: config.redis.prefix,
        keys: config.journal.keys,
        activeKeyId: config.journal.activeKeyId,
      });
    });

    afterAll(async () => {
      await running?.stop();
      await infra?.close();
      await world?.close();
      await rm(workDir, { recursive: true, force: true });
    });

    beforeEach(() => {
      world.fixture.server.calls.clear();
      world.aws.server.calls.clear();
    });

    const vendor = () => world.fixture.server;
    const issues = () => vendor().calls.handled(world.fixture.issueRoute).length;
    const current = (): unknown => JSON.parse(world.aws.store.valueOf(policy.secret.id) ?? 'null');

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
      await eventually('the revoke of the displaced credential and the grace period to be over', async () => {
        const pending = await infra.queue.getJobs(['delayed', 'waiting', 'active', 'prioritized']);
        if (pending.some((job) => job.name === 'revoke')) return undefined;
        const committedAt = (await infra.records.get(policy.id)).lastSuccessAt ?? Number.POSITIVE_INFINITY;
        return Date.now() > committedAt + GRACE_MS ? true : undefined;
      });
      const failed = await infra.queue.getJobs(['failed']);
      expect(failed.map((job) => `${job.name}: ${job.failedReason}`)).toEqual([]);
    }

    /** What every kill must leave: the run complete, nothing journaled, AWSCURRENT working, no extra live. */
    async function expectNothingLostOrLeftOver(jobId: string): Promise<void> {
      expect(await journal.get(policy.id)).toBeUndefined();
      const record = await infra.records.get(policy.id);
      expect(record.inFlight).toBeUndefined();
      expect(record.current?.runId).toBe(jobId);
      expect(await world.fixture.accepts(current())).toBe(true);
      expect(world.fixture.liveIssued()).toBeLessThanOrEqual(2);
    }

    /** One kill, one rotation: whether it was lost or issued twice goes to the fault summary. */
    async function ledger(suite = 'crash matrix'): Promise<void> {
      recordFaultOutcome({
        suite,
        faultsInjected: 1,
        rotationsCompleted: 1,
        credentialsLost: (await world.fixture.accepts(current())) ? 0 : 1,
        duplicateIssues: issues() - 1,
        leakedValues: leaksIn(world.secrets(), [
          ['the daemon output', output.join('')],
          ['Redis', await dumpKeys(world.redis, world.prefix)],
        ]).length,
      });
    }

    it('after the issuing checkpoint, before the vendor acted: the next daemon issues once', async () => {
      const jobId = await killAt('issuing', { at: 'vendor', route: world.fixture.issueRoute });
      // The held request died with the daemon: the vendor never handled it.
      expect(issues()).toBe(0);

      await restartAndFinish(jobId);
      await ledger();

      expect(issues()).toBe(1);
      expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
      await expectNothingLostOrLeftOver(jobId);
    });

    it('after issue and journal: the next daemon stages the journaled credential, issuing once', async () => {
      const jobId = await killAt('journaled', { at: 'aws', route: 'PutSecretValue' });
      expect((await journal.get(policy.id))?.runId).toBe(jobId);

      await restartAndFinish(jobId);
      await ledger();

      expect(issues()).toBe(1);
      expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
      await expectNothingLostOrLeftOver(jobId);
    });

    it('after stage: the next daemon verifies and promotes the staged version, issuing and staging once', async () => {
      const jobId = await killAt('staged', { at: 'vendor', route: world.fixture.verifyRoute });
      const staged = (await infra.records.get(policy.id)).inFlight?.versionId;

      await restartAndFinish(jobId);
      await ledger();

      expect(issues()).toBe(1);
      expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
      expect((await infra.records.get(policy.id)).current).toMatchObject({ runId: jobId, versionId: staged });
      await expectNothingLostOrLeftOver(jobId);
    });

    it('after stage and verify: the next daemon verifies again and promotes the staged version, issuing and staging once', async () => {
      // Verify is not checkpointed: the record says staged while the promote call is held.
      const jobId = await killAt('staged', { at: 'aws', route: 'UpdateSecretVersionStage' });
      const staged = (await infra.records.get(policy.id)).inFlight?.versionId;

      await restartAndFinish(jobId);
      await ledger();

      expect(issues()).toBe(1);
      expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
      expect((await infra.records.get(policy.id)).current).toMatchObject({ runId: jobId, versionId: staged });
      const version = world.aws.store.view(policy.secret.id).versions.find((v) => v.versionId === staged);
      expect(version?.stages).toEqual(['AWSCURRENT']);
      await expectNothingLostOrLeftOver(jobId);
    });

    it('after commit, while the displaced credential is retired: the next daemon retires it, once', async () => {
      const displaced = current();
      const { revokeRoute, revokeCalls = 1 } = world.fixture;
      if (revokeRoute)
        vendor().faults.add({ route: revokeRoute, fault: { kind: 'delay', delayMs: HELD_MS }, times: 1 });
      running = await startDaemonProcess(configFile, world.env, output);
      const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
      await eventually('the run to commit and its revoke to be held', async () => {
        const committed = (await infra.records.get(policy.id)).current?.runId === jobId;
        const revokeHeld = revokeRoute === undefined || vendor().faults.list().length === 0;
        return committed && revokeHeld ? true : undefined;
      });
      await running.kill();
      running = undefined;

      await restartAndFinish(jobId);
      await ledger();

      expect(issues()).toBe(1);
      // The held revoke died with the daemon; the next one made the whole revoke once.
      if (revokeRoute) expect(vendor().calls.handled(revokeRoute)).toHaveLength(revokeCalls);
      expect(await world.fixture.accepts(displaced)).toBe(false);
      await expectNothingLostOrLeftOver(jobId);
    });

    it('when the vendor issued but its answer was lost with the daemon: the run completes, nothing left live beyond current and previous', async () => {
      const jobId = await killAt(
        'issuing',
        { at: 'vendor', route: world.fixture.issueRoute, fault: { kind: 'hold-response', delayMs: HELD_MS } },
        () => issues() === 1,
      );

      await restartAndFinish(jobId);

      // Providers that can list what rotor made find the credential by its run and adopt it; the others'
      // APIs cannot find a credential whose only copy was in the lost answer, so the run issues again.
      const findsLostIssue = world.fixture.plantRotorCredential !== undefined;
      await ledger(findsLostIssue ? 'crash matrix' : 'issue answer lost (vendor cannot list)');
      expect(issues()).toBe(findsLostIssue ? 1 : 2);
      await expectNothingLostOrLeftOver(jobId);
    });
  },
);
