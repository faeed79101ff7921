import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { startDaemon } from '../../src/daemon/start-daemon.js';
import { providers } from '../../src/providers/registry.js';
import { revokeJobIdFor } from '../../src/queue/job-payloads.js';
import { requestRollback } from '../../src/queue/rollback-requests.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import type { ProviderFixture } from '../support/provider-fixture.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { measureOutcome } from '../support/suite-outcome.js';

/** Providers whose actions all keep the displaced credential live until rotor revokes it. */
const overlapProviders = providerFixtures.filter(([id]) => {
  const actions = Object.values(providers[id]?.actions ?? {});
  return actions.length > 0 && actions.every((action) => action.capability === 'overlap');
});

/** Longer than any test here: no displaced credential is revoked under a test, so every one stays live. */
const GRACE = '60s';
const RETRY = '{ attempts: 3, backoff: 100ms, maxBackoff: 300ms }';
// Short locks, so the second daemon takes the killed one's rollback over within seconds.
const WORKER = 'lockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3';
/** Longer than any hold below: a held AWS call is never given up by the daemon's own timeout. */
const SINK_TIMEOUT = '30s';
/** A call held for the daemon that is SIGKILLed while it waits: it is never answered. */
const KILLED_HOLD_MS = 600_000;
/**
 * A call held while a second job races the one that made it; the emulators' fault plan can only hold for a
 * set time, so the hold's end is the release. Generous: the waiting job looks at the fence many times over.
 */
const RACE_HOLD_MS = 5_000;
const ROLLED_BACK = 'rotor-rolled-back';
/** Bounds a broken test's waits below the test timeout, so it fails naming what it waited for. */
const WAIT_MS = 25_000;

/** A version of the policy's secret: its AWS id and the credential it holds. */
interface Version {
  readonly versionId: string;
  readonly credential: unknown;
}

interface Scene {
  readonly world: ProviderWorld;
  readonly vendor: ProviderFixture;
  readonly infra: RedisInfrastructure;
  readonly aws: AwsSecrets;
}

/** Everything a test opened, closed in reverse order however the test ends. */
function closers() {
  const opened: (() => Promise<unknown> | unknown)[] = [];
  return {
    add: (close: () => Promise<unknown> | unknown) => opened.push(close),
    async closeAll() {
      for (const close of opened.reverse()) await close();
    },
  };
}

/** AWSCURRENT, read with the official AWS SDK. */
async function currentOf({ aws }: Scene, policy: PolicyConfig): Promise<Version> {
  const current = await aws.version(policy.secret.id, 'AWSCURRENT');
  if (!current) throw new Error(`secret ${policy.secret.id} has no AWSCURRENT`);
  return current;
}

/** Two rotations to completion: the credentials they made (the first is the one a rollback restores). */
async function rotatedTwice(scene: Scene, policy: PolicyConfig): Promise<[Version, Version]> {
  const made: Version[] = [];
  for (const _ of [1, 2]) {
    const { jobId } = await requestRotation(scene.infra.queue, policy, 'manual', { nowMs: Date.now() });
    const job = await finishedJob(scene.infra.queue, jobId, WAIT_MS);
    expect(await job.getState(), job.failedReason).toBe('completed');
    made.push(await currentOf(scene, policy));
  }
  const [first, second] = made as [Version, Version];
  expect(await scene.infra.queue.getJobState(revokeJobIdFor(policy.id, first.versionId))).toBe('delayed');
  return [first, second];
}

/** Asks for a rollback as `rotor rollback` does; the job it added. */
async function askRollback({ infra }: Scene, policy: PolicyConfig, second: Version): Promise<string> {
  const requested = await requestRollback(infra.queue, policy, await infra.records.get(policy.id), {
    nowMs: Date.now(),
    requestedBy: 'oncall@example.com',
    reason: 'the new credential broke billing',
  });
  if (requested.kind === 'refused') throw new Error(`rollback refused: ${requested.reason}`);
  expect(requested.fromVersionId).toBe(second.versionId);
  return requested.jobId;
}

/** A scheduled rotation, as the policy's scheduler adds it. */
async function askScheduledRotation({ infra }: Scene, policy: PolicyConfig): Promise<string> {
  const dueMs = Date.now();
  const { jobId, joined } = await requestRotation(infra.queue, policy, 'schedule', { nowMs: dueMs, dueMs });
  expect(joined).toBe(false);
  return jobId;
}

const labelsOf = async ({ aws }: Scene, policy: PolicyConfig, versionId: string) =>
  (await aws.versions(policy.secret.id)).find((version) => version.versionId === versionId)?.stages ?? [];

const revokeState = ({ infra }: Scene, policy: PolicyConfig, version: Version) =>
  infra.queue.getJobState(revokeJobIdFor(policy.id, version.versionId));

/**
 * Nothing lost: every version AWS lists for the policy's secret, and every one rotor's record names, holds
 * a credential the vendor accepts, or one rotor revoked on purpose (its revoke job completed).
 */
async function expectNothingLost(scene: Scene, policy: PolicyConfig): Promise<void> {
  const { aws, infra, vendor } = scene;
  const record = await infra.records.get(policy.id);
  const named = new Set(
    [
      ...(await aws.versions(policy.secret.id)).map((version) => version.versionId),
      record.current?.versionId,
      record.previous?.versionId,
      record.inFlight?.versionId,
    ].filter((versionId): versionId is string => versionId !== undefined),
  );
  expect(named.size).toBeGreaterThan(0);
  const unaccounted: string[] = [];
  for (const versionId of named) {
    const stored = await aws.version(policy.secret.id, { versionId });
    if (stored !== undefined && (await vendor.accepts(stored.credential))) continue;
    const revoke = await infra.queue.getJobState(revokeJobIdFor(policy.id, versionId));
    if (revoke === 'completed') continue;
    unaccounted.push(
      `${versionId}: ${stored === undefined ? 'not at AWS' : 'refused by the vendor'}, its revoke job ${revoke}`,
    );
  }
  expect(unaccounted).toEqual([]);
}

/** A rollback's success, as the second daemon or the race left it: the first credential is back. */
async function expectRolledBack(
  scene: Scene,
  policy: PolicyConfig,
  jobId: string,
  [first, second]: readonly [Version, Version],
): Promise<void> {
  const { infra, vendor } = scene;
  const job = await finishedJob(infra.queue, jobId, WAIT_MS);
  expect(await job.getState(), job.failedReason).toBe('completed');
  expect(job.returnvalue).toMatchObject({
    runId: jobId,
    versionId: first.versionId,
    rolledBackVersionId: second.versionId,
  });
  expect(await labelsOf(scene, policy, second.versionId)).toContain(ROLLED_BACK);
  const history = await infra.history.recent(policy.id);
  expect(history).toContainEqual(
    expect.objectContaining({
      runId: jobId,
      trigger: 'rollback',
      outcome: 'succeeded',
      versionId: first.versionId,
      requestedBy: 'oncall@example.com',
    }),
  );
  // The rolled-back credential is revoked after the grace period, like any displaced one.
  expect(await revokeState(scene, policy, second)).toBe('delayed');
  expect(await vendor.accepts(second.credential)).toBe(true);
}

describe.each(overlapProviders)('%s: a daemon killed mid-rollback', (_providerId, startFixture) => {
  it('a SIGKILL mid-rollback leaves AWSCURRENT on a live credential: killed (a) while the vendor checks the previous credential or (b) while AWS promotes it under the fence, the next daemon completes the rollback', {
    timeout: 90_000,
  }, async () => {
    const opened = closers();
    let running: DaemonProcess | undefined;
    const output: string[] = [];
    try {
      const world = await startProviderWorld(startFixture);
      opened.add(() => world.close());
      const workDir = await mkdtemp(join(tmpdir(), 'rotor-rollback-kill-'));
      opened.add(() => rm(workDir, { recursive: true, force: true }));
      const entries = [
        await world.policy('kill-at-verify', { gracePeriod: GRACE, retry: RETRY }),
        await world.policy('kill-at-promote', { gracePeriod: GRACE, retry: RETRY }),
      ];
      const sections = { worker: WORKER, sinkTimeout: SINK_TIMEOUT };
      const config = await world.config(entries, sections);
      const configFile = join(workDir, 'rotor.yaml');
      await writeFile(configFile, world.yaml(entries, sections));
      const [atVerify, atPromote] = config.policies as [PolicyConfig, PolicyConfig];
      const infra = connectRedis(config);
      opened.add(() => infra.close());
      const aws = new AwsSecrets(world.aws.client);
      opened.add(() => aws.close());
      const scene: Scene = { world, vendor: world.fixture, infra, aws };
      opened.add(() => running?.stop());

      running = await startDaemonProcess(configFile, world.env, output);
      const [verifyVersions, promoteVersions] = await Promise.all([
        rotatedTwice(scene, atVerify),
        rotatedTwice(scene, atPromote),
      ]);

      const vendor = world.fixture.server;
      const issues = () => vendor.calls.handled(world.fixture.issueRoute).length;
      const issuesBeforeRollbacks = issues();

      // (a) Held while the vendor checks the previous credential: its pending revoke is out of the queue,
      // the fence not yet written.
      vendor.faults.add({
        route: world.fixture.verifyRoute,
        fault: { kind: 'delay', delayMs: KILLED_HOLD_MS },
        times: 1,
      });
      const verifyJob = await askRollback(scene, atVerify, verifyVersions[1]);
      await eventually(
        'rollback (a) to be held at the vendor, checking the previous credential',
        async () => {
          const cancelled =
            (await infra.queue.getJob(revokeJobIdFor(atVerify.id, verifyVersions[0].versionId))) ===
            undefined;
          const held = vendor.faults.list().length === 0;
          const active = (await infra.queue.getJobState(verifyJob)) === 'active';
          return cancelled && held && active ? true : undefined;
        },
        WAIT_MS,
      );
      expect((await infra.records.get(atVerify.id)).inFlight).toBeUndefined();

      // (b) Held while AWS promotes the previous credential: the rollback holds the policy's fence.
      const promotes = () => world.aws.server.calls.handled('UpdateSecretVersionStage').length;
      const promotesBefore = promotes();
      world.aws.server.faults.add({
        route: 'UpdateSecretVersionStage',
        fault: { kind: 'delay', delayMs: KILLED_HOLD_MS },
        times: 1,
      });
      const promoteJob = await askRollback(scene, atPromote, promoteVersions[1]);
      const fence = await eventually(
        'rollback (b) to hold the fence while AWS holds its promote',
        async () => {
          const inFlight = (await infra.records.get(atPromote.id)).inFlight;
          const held = world.aws.server.faults.list().length === 0;
          return held && inFlight?.runId === promoteJob ? inFlight : undefined;
        },
        WAIT_MS,
      );
      expect(fence).toMatchObject({
        trigger: 'rollback',
        step: 'verified',
        versionId: promoteVersions[0].versionId,
        baseVersionId: promoteVersions[1].versionId,
        owner: promoteJob,
      });

      await running.kill();
      running = undefined;

      // The held promote died with the daemon, unanswered; AWSCURRENT never moved.
      expect(promotes()).toBe(promotesBefore);
      for (const [policy, [first, second]] of [
        [atVerify, verifyVersions],
        [atPromote, promoteVersions],
      ] as const) {
        const current = await currentOf(scene, policy);
        expect(current.versionId).toBe(second.versionId);
        expect(await world.fixture.accepts(current.credential)).toBe(true);
        // The credential the rollback was restoring is live too (its revoke was taken out, never run).
        expect(await world.fixture.accepts(first.credential)).toBe(true);
        await expectNothingLost(scene, policy);
      }

      // The second daemon takes each rollback job over once the killed daemon's lock expired, and completes it.
      running = await startDaemonProcess(configFile, world.env, output);
      for (const [policy, jobId, versions] of [
        [atVerify, verifyJob, verifyVersions],
        [atPromote, promoteJob, promoteVersions],
      ] as const) {
        await expectRolledBack(scene, policy, jobId, versions);
        // Started again by the second daemon: the killed daemon's attempt never finished.
        expect((await infra.queue.getJob(jobId))?.attemptsStarted).toBeGreaterThanOrEqual(2);
        const [first, second] = versions;
        const current = await currentOf(scene, policy);
        expect(current.versionId).toBe(first.versionId);
        expect(await world.fixture.accepts(current.credential)).toBe(true);
        const record = await infra.records.get(policy.id);
        expect(record.inFlight).toBeUndefined();
        expect(record.current).toMatchObject({ runId: jobId, versionId: first.versionId });
        expect(record.previous?.versionId).toBe(second.versionId);
        expect(record.rolledBack).toMatchObject({ versionId: second.versionId, runId: jobId });
        await expectNothingLost(scene, policy);
      }
      await running.stop();
      running = undefined;

      // The fault summary's row: two rollbacks interrupted by one kill, each completed by the next daemon.
      const measured = await measureOutcome({
        world,
        aws,
        policies: [atVerify, atPromote],
        texts: [['the daemons’ output', output.join('')]],
      });
      const completed = await Promise.all(
        [verifyJob, promoteJob].map(async (jobId) => (await infra.queue.getJobState(jobId)) === 'completed'),
      );
      recordFaultOutcome({
        suite: 'rollback, daemon killed',
        faultsInjected: 2,
        rotationsCompleted: completed.filter(Boolean).length,
        credentialsLost: measured.lost.length,
        // A rollback issues nothing: any issue while the rollbacks ran is one too many.
        duplicateIssues: issues() - issuesBeforeRollbacks,
        leakedValues: measured.leaks.length,
      });
      expect(measured.lost).toEqual([]);
      expect(measured.leaks).toEqual([]);
      expect(issues()).toBe(issuesBeforeRollbacks);
    } finally {
      await opened.closeAll();
    }
  });
});

describe.each(overlapProviders)('%s: a rollback racing a scheduled rotation', (_providerId, startFixture) => {
  /** A world with one policy and a daemon in this process. */
  async function openRace(opened: ReturnType<typeof closers>) {
    const world = await startProviderWorld(startFixture);
    opened.add(() => world.close());
    const entry = await world.policy('race', { gracePeriod: GRACE, retry: RETRY });
    const config = await world.config([entry], { sinkTimeout: SINK_TIMEOUT });
    const policy = config.policies[0] as PolicyConfig;
    const infra = connectRedis(config);
    opened.add(() => infra.close());
    const aws = new AwsSecrets(world.aws.client);
    opened.add(() => aws.close());
    const logged = memoryLogger('info');
    const daemon = await startDaemon(config, { log: logged.log });
    opened.add(() => daemon.stop());
    const scene: Scene = { world, vendor: world.fixture, infra, aws };
    /** Whether the daemon logged `msg` for this run (a job logs with its run id, which is its job id). */
    const said = (msg: string, runId: string) =>
      logged.lines().some((line) => {
        const entry = JSON.parse(line) as { msg?: string; runId?: string };
        return entry.msg === msg && entry.runId === runId;
      });
    return { scene, policy, said };
  }

  /**
   * A job that waits for the fence: it ran at least once and went back to wait without spending an attempt,
   * saying why. Read while `stillHeld` holds after the read (so the state was the state during the hold).
   */
  async function waitingJob(
    { infra }: Scene,
    jobId: string,
    said: () => boolean,
    stillHeld: () => Promise<boolean>,
    what: string,
  ) {
    return eventually(
      what,
      async () => {
        const job = await infra.queue.getJob(jobId);
        const state = await job?.getState();
        if (!job || !said() || job.attemptsStarted < 1 || !(await stillHeld())) return undefined;
        return { state, attemptsMade: job.attemptsMade, failedReason: job.failedReason ?? null };
      },
      WAIT_MS,
    );
  }

  it('a rollback racing a scheduled rotation is serialised by the fence: (a) the rotation first — the rollback waits, then fails because the policy rotated since it was asked for, rolling nothing back and losing nothing', {
    timeout: 60_000,
  }, async () => {
    const opened = closers();
    try {
      const { scene, policy, said } = await openRace(opened);
      const { infra, vendor } = scene;
      const [first, second] = await rotatedTwice(scene, policy);
      const issues = () => vendor.server.calls.handled(vendor.issueRoute).length;
      const issuesBefore = issues();

      // The scheduled rotation takes the fence and is held at the vendor's issue call.
      vendor.server.faults.add({
        route: vendor.issueRoute,
        fault: { kind: 'delay', delayMs: RACE_HOLD_MS },
        times: 1,
      });
      const rotationJob = await askScheduledRotation(scene, policy);
      const fenceOfRotation = async () =>
        (await infra.records.get(policy.id)).inFlight?.runId === rotationJob && issues() === issuesBefore;
      await eventually(
        'the scheduled rotation to hold the fence at the vendor’s issue call',
        async () =>
          vendor.server.faults.list().length === 0 && (await fenceOfRotation()) ? true : undefined,
        WAIT_MS,
      );

      const rollbackJob = await askRollback(scene, policy, second);
      const waiting = await waitingJob(
        scene,
        rollbackJob,
        () => said('the policy is busy; the rollback waits', rollbackJob),
        fenceOfRotation,
        'the rollback to wait while the rotation holds the fence',
      );
      expect(waiting).toEqual({
        state: expect.stringMatching(/^(delayed|waiting|active)$/),
        attemptsMade: 0,
        failedReason: null,
      });
      // Waiting, the rollback took nothing: the first credential's revoke is still queued.
      expect(await revokeState(scene, policy, first)).toBe('delayed');

      // The hold ends: the rotation commits, and the rollback, asked for from the version it displaced, stops.
      const rotation = await finishedJob(infra.queue, rotationJob, WAIT_MS);
      expect(await rotation.getState(), rotation.failedReason).toBe('completed');
      const rollback = await finishedJob(infra.queue, rollbackJob, WAIT_MS);
      expect(await rollback.getState()).toBe('failed');
      expect(rollback.failedReason).toMatch(
        /^rollback refused: .*the policy rotated since the rollback was asked for .*this rollback rolls nothing back/,
      );

      const third = await currentOf(scene, policy);
      expect(third.versionId).toBe(rotation.returnvalue.versionId);
      expect([first.versionId, second.versionId]).not.toContain(third.versionId);
      expect(await vendor.accepts(third.credential)).toBe(true);
      const record = await infra.records.get(policy.id);
      expect(record.inFlight).toBeUndefined();
      expect(record.current).toMatchObject({ runId: rotationJob, versionId: third.versionId });
      expect(record.previous?.versionId).toBe(second.versionId);
      expect(record.rolledBack).toBeUndefined();
      expect(await labelsOf(scene, policy, second.versionId)).not.toContain(ROLLED_BACK);
      const history = await infra.history.recent(policy.id);
      expect(history).toContainEqual(
        expect.objectContaining({ runId: rollbackJob, trigger: 'rollback', outcome: 'failed' }),
      );
      expect(history).toContainEqual(
        expect.objectContaining({ runId: rotationJob, outcome: 'succeeded', versionId: third.versionId }),
      );
      // Nothing lost: the first credential's revoke is still there, the second's was added by the rotation.
      expect(await revokeState(scene, policy, first)).toBe('delayed');
      expect(await revokeState(scene, policy, second)).toBe('delayed');
      expect(issues()).toBe(issuesBefore + 1);
      await expectNothingLost(scene, policy);
    } finally {
      await opened.closeAll();
    }
  });

  it('a rollback racing a scheduled rotation is serialised by the fence: (b) the rollback first — the rotation waits, then rotates from the restored credential', {
    timeout: 60_000,
  }, async () => {
    const opened = closers();
    try {
      const { scene, policy, said } = await openRace(opened);
      const { infra, vendor, world } = scene;
      const [first, second] = await rotatedTwice(scene, policy);
      const issues = () => vendor.server.calls.handled(vendor.issueRoute).length;
      const issuesBefore = issues();

      // The rollback writes its run as the fence, then is held while AWS promotes the first credential.
      world.aws.server.faults.add({
        route: 'UpdateSecretVersionStage',
        fault: { kind: 'delay', delayMs: RACE_HOLD_MS },
        times: 1,
      });
      const rollbackJob = await askRollback(scene, policy, second);
      const fenceOfRollback = async () => {
        const inFlight = (await infra.records.get(policy.id)).inFlight;
        return inFlight?.runId === rollbackJob && inFlight.trigger === 'rollback';
      };
      await eventually(
        'the rollback to hold the fence while AWS holds its promote',
        async () =>
          world.aws.server.faults.list().length === 0 && (await fenceOfRollback()) ? true : undefined,
        WAIT_MS,
      );

      const rotationJob = await askScheduledRotation(scene, policy);
      const waiting = await waitingJob(
        scene,
        rotationJob,
        () => said('another job is rotating this policy; this one waits', rotationJob),
        fenceOfRollback,
        'the rotation to wait while the rollback holds the fence',
      );
      expect(waiting).toEqual({
        state: expect.stringMatching(/^(delayed|waiting|active)$/),
        attemptsMade: 0,
        failedReason: null,
      });
      // Waiting, the rotation issued nothing.
      expect(issues()).toBe(issuesBefore);

      // The hold ends: the rollback completes, then the rotation runs from the credential it restored.
      await expectRolledBack(scene, policy, rollbackJob, [first, second]);
      const rotation = await finishedJob(infra.queue, rotationJob, WAIT_MS);
      expect(await rotation.getState(), rotation.failedReason).toBe('completed');
      // Its one attempt is the one that rotated: waiting spent none.
      expect(rotation.attemptsMade).toBe(1);

      const third = await currentOf(scene, policy);
      expect(third.versionId).toBe(rotation.returnvalue.versionId);
      expect([first.versionId, second.versionId]).not.toContain(third.versionId);
      expect(await vendor.accepts(third.credential)).toBe(true);
      const record = await infra.records.get(policy.id);
      expect(record.inFlight).toBeUndefined();
      expect(record.current).toMatchObject({ runId: rotationJob, versionId: third.versionId });
      // The rotation displaced the restored first credential, not the rolled-back second one.
      expect(record.previous?.versionId).toBe(first.versionId);
      const history = await infra.history.recent(policy.id);
      const rolledBackAt = history.findIndex((entry) => entry.runId === rollbackJob);
      const rotatedAt = history.findIndex((entry) => entry.runId === rotationJob);
      // Newest first: the rotation committed after the rollback.
      expect(rolledBackAt).toBeGreaterThan(rotatedAt);
      expect(history[rotatedAt]).toMatchObject({ outcome: 'succeeded', versionId: third.versionId });
      // Nothing lost: both displaced credentials are live and due for revocation after the grace period.
      expect(await revokeState(scene, policy, second)).toBe('delayed');
      expect(await revokeState(scene, policy, first)).toBe('delayed');
      expect(await vendor.accepts(first.credential)).toBe(true);
      expect(issues()).toBe(issuesBefore + 1);
      await expectNothingLost(scene, policy);
    } finally {
      await opened.closeAll();
    }
  });
});
