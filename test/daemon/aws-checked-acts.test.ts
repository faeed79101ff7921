import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { BACKOFF_TYPE } from '../../src/queue/failure-policy.js';
import { JOB, type RevokePayload, type RotatePayload } from '../../src/queue/job-payloads.js';
import { ORPHAN_SWEEP_EVERY_MS, ORPHAN_SWEEP_SCHEDULER_ID } from '../../src/queue/orphan-sweep-schedule.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { stateKeys } from '../../src/state/redis-keys.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { startCloudflareFixture } from '../providers/cloudflare.fixture.js';
import { startTagoioFixture } from '../providers/tagoio.fixture.js';
import { Scene } from '../support/daemon-scene.js';
import { eventually } from '../support/eventually.js';
import { type FaultOutcome, recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { openProviderWorld } from '../support/open-provider-world.js';
import { startProviderWorld } from '../support/provider-world.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

const SUITE = 'AWS-checked acts';
const HOUR_MS = 3_600_000;
// Long enough that no revoke job and no Cloudflare grace ends while a scenario runs: what a vendor refuses
// at the end was revoked by something the scenario did, not by the end of a grace period.
const GRACE = '10m';
const RETRY = '{ attempts: 3, backoff: 100ms, maxBackoff: 500ms }';
// Short locks, so a daemon started after a SIGKILL takes the killed one's job over within seconds.
const SHORT_LOCKS = 'lockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3';

/** What a probe gives within `deadlineMs`, or undefined: for what the fixed daemon does and today's does not. */
async function within<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs: number) {
  return eventually(what, probe, deadlineMs).catch(() => undefined);
}

/** The same keys, every one true: compared with `toEqual`, a failure names what was false. */
function allTrue(verdicts: Record<string, boolean>): Record<string, true> {
  return Object.fromEntries(Object.keys(verdicts).map((key) => [key, true]));
}

function record(outcome: Omit<FaultOutcome, 'suite'>): void {
  recordFaultOutcome({ suite: SUITE, ...outcome });
}

describe('an orphan sweep on a Redis that lost rotor’s keys (the suite’s own redis-server)', {
  timeout: 120_000,
}, () => {
  const kept = providerFixtures.map(([providerId]) => `kept-${providerId}`);
  const stale = ['stale-tagoio', 'stale-telenor'];
  // The rotations are named as if asked for two hours ago: their credentials are well past the policies'
  // grace period, old enough to be swept, while no revoke job falls due during the scenario.
  const longAgo = Date.now() - 2 * HOUR_MS;
  let server: RedisServer;
  let scene: Scene;
  let rotationsBeforeTheLoss = 0;
  let issuesBeforeTheLoss = 0;
  let startedAfterTheLoss: { from: number; to: number };

  beforeAll(async () => {
    server = await startRedisServer();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const scope = {
      redis,
      prefix: 'rotor-aws-checked',
      url: server.url,
      cleanup: async () => redis.disconnect(),
    };
    const world = await openProviderWorld(
      scope,
      providerFixtures.map(([, start]) => start),
    );
    // Each policy id ends with its provider's id.
    const fixtureFor = (policyId: string) => {
      const fixture = world.fixtures.find((candidate) => policyId.endsWith(`-${candidate.providerId}`));
      if (!fixture) throw new Error(`no fixture for ${policyId}`);
      return fixture;
    };
    const entries = await Promise.all(
      [...kept, ...stale].map((id) => world.policy(id, { gracePeriod: GRACE, retry: RETRY }, fixtureFor(id))),
    );
    scene = await Scene.open(world, entries);
    await scene.startDaemon();
    // Two rotations each: AWSCURRENT and AWSPREVIOUS hold credentials rotor made.
    for (const round of [0, 1]) {
      await Promise.all(kept.map((id) => scene.rotate(scene.policy(id), longAgo + round)));
      rotationsBeforeTheLoss += kept.length;
    }
    issuesBeforeTheLoss = scene.issues();
    await scene.stopDaemon();
    await server.flush();
    const from = Date.now();
    await scene.startDaemon();
    startedAfterTheLoss = { from, to: Date.now() };
  }, 90_000);

  afterAll(async () => {
    await scene?.close();
    await server?.close();
  });

  it('does not sweep when the daemon starts: the orphan sweep first runs one interval later', async () => {
    const { queue } = scene.infra;
    // Every orphan-sweep job due by now has run: a sweep fired at start would be among the finished jobs.
    await eventually('every orphan sweep due by now to have run', async () => {
      const pending = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
      const due = pending.filter(
        (job) => job.name === JOB.orphanSweep && job.timestamp + (job.opts.delay ?? 0) <= Date.now(),
      );
      return due.length === 0 ? true : undefined;
    });
    const ran = (await queue.getJobs(['completed', 'failed'])).filter((job) => job.name === JOB.orphanSweep);
    expect(ran.map((job) => `${job.id}: ${job.returnvalue ?? job.failedReason}`)).toEqual([]);

    const scheduler = await queue.getJobScheduler(ORPHAN_SWEEP_SCHEDULER_ID);
    expect(scheduler?.every).toBe(ORPHAN_SWEEP_EVERY_MS);
    // "About one interval after the start": a minute either way for the start itself.
    const { from, to } = startedAfterTheLoss;
    expect(scheduler?.next).toBeGreaterThanOrEqual(from + ORPHAN_SWEEP_EVERY_MS - 60_000);
    expect(scheduler?.next).toBeLessThanOrEqual(to + ORPHAN_SWEEP_EVERY_MS + 60_000);
    expect(scene.output.join('')).not.toMatch(/orphaned credential deleted/);
  });

  it('deletes nothing for a policy with no record while AWS holds its secret: AWSCURRENT and AWSPREVIOUS stay accepted', async () => {
    const { queue } = scene.infra;
    const sweep = await finishedJob(queue, (await queue.add(JOB.orphanSweep, {})).id ?? '');

    const verdicts: Record<string, boolean> = {};
    for (const id of kept) {
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS'] as const)
        verdicts[`${id} ${stage}`] = await scene.accepts(scene.policy(id), stage);
    }
    const leaks = await scene.leaks();
    record({
      faultsInjected: 1,
      rotationsCompleted: rotationsBeforeTheLoss,
      credentialsLost: (
        await Promise.all(kept.map(async (id) => !(await scene.accepts(scene.policy(id), 'AWSCURRENT'))))
      ).filter(Boolean).length,
      duplicateIssues: issuesBeforeTheLoss - rotationsBeforeTheLoss,
      leakedValues: leaks.length,
    });

    expect(await sweep.getState(), sweep.failedReason).toBe('completed');
    // Deleted and failed counts first; anything after them (e.g. policies skipped) is the sweep's own business.
    expect(sweep.returnvalue).toMatch(/^orphans deleted: 0, failed: 0(,|$)/);
    expect(verdicts).toEqual(allTrue(verdicts));
    expect(scene.output.join('')).not.toMatch(/orphaned credential deleted/);
    expect(scene.issues()).toBe(issuesBeforeTheLoss);
    expect(leaks).toEqual([]);
  });

  it('keeps what AWS labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING) when the record is stale, and deletes only the abandoned credential', async () => {
    const { queue, redis, prefix } = scene.infra;
    const issuesBefore = scene.issues();
    const abandoned = new Map<string, unknown>();
    const pendingVersions = new Map<string, string>();
    let rotations = 0;
    await Promise.all(
      stale.map(async (id) => {
        const policy = scene.policy(id);
        const fixture = scene.fixtureOf(policy);
        const plant = fixture.plantRotorCredential?.bind(fixture);
        if (!plant) throw new Error(`${fixture.providerId} cannot list: not for this case`);
        await scene.rotate(policy, longAgo + 10);
        const recordKey = stateKeys.record(prefix, id);
        const firstRecord = await redis.get(recordKey);
        if (firstRecord === null) throw new Error(`no record of ${id} after its first rotation`);
        await scene.rotate(policy, longAgo + 11);
        await scene.rotate(policy, longAgo + 12);
        rotations += 3;
        // A run that staged its credential and lost its record: AWS labels it AWSPENDING, nothing else knows it.
        const inFlightElsewhere = await plant(id, `${id}-m${longAgo + 13}`);
        pendingVersions.set(id, await scene.putVersion(policy, inFlightElsewhere, ['AWSPENDING']));
        abandoned.set(id, await plant(id, `${id}-m${Date.now() - HOUR_MS}`));
        // The record goes back to what it said after the first rotation (as a restored backup would).
        await redis.set(recordKey, firstRecord);
      }),
    );

    const sweep = await finishedJob(queue, (await queue.add(JOB.orphanSweep, {})).id ?? '');

    const verdicts: Record<string, boolean> = {};
    const staleness: Record<string, boolean> = {};
    for (const id of stale) {
      const policy = scene.policy(id);
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING'] as const)
        verdicts[`${id} ${stage}`] = await scene.accepts(policy, stage);
      const named = (await scene.infra.records.get(id)).current?.versionId ?? 'none';
      verdicts[`${id} the stale record's current`] = await scene.accepts(policy, { versionId: named });
      const labelled = [
        (await scene.awsVersion(policy, 'AWSCURRENT'))?.versionId,
        (await scene.awsVersion(policy, 'AWSPREVIOUS'))?.versionId,
      ];
      staleness[`${id} record names neither AWSCURRENT nor AWSPREVIOUS`] = !labelled.includes(named);
    }
    // The providers that cannot list what rotor made are never swept.
    for (const id of kept.filter((id) => !scene.fixtureOf(scene.policy(id)).plantRotorCredential))
      verdicts[`${id} AWSCURRENT`] = await scene.accepts(scene.policy(id), 'AWSCURRENT');
    const abandonedLive = Object.fromEntries(
      await Promise.all(
        stale.map(async (id) => [id, await scene.fixtureOf(scene.policy(id)).accepts(abandoned.get(id))]),
      ),
    );
    const leaks = await scene.leaks();
    record({
      // One stale record per policy.
      faultsInjected: stale.length,
      rotationsCompleted: rotations,
      credentialsLost: (
        await Promise.all(stale.map(async (id) => !(await scene.accepts(scene.policy(id), 'AWSCURRENT'))))
      ).filter(Boolean).length,
      duplicateIssues: scene.issues() - issuesBefore - rotations,
      leakedValues: leaks.length,
    });

    expect(await sweep.getState(), sweep.failedReason).toBe('completed');
    expect(staleness).toEqual(allTrue(staleness));
    for (const id of stale) {
      expect((await scene.awsVersion(scene.policy(id), 'AWSPENDING'))?.versionId).toBe(
        pendingVersions.get(id),
      );
    }
    expect(verdicts).toEqual(allTrue(verdicts));
    expect(abandonedLive).toEqual(Object.fromEntries(stale.map((id) => [id, false])));
    expect(sweep.returnvalue).toMatch(new RegExp(`^orphans deleted: ${stale.length}, failed: 0(,|$)`));
    expect(leaks).toEqual([]);
  });
});

describe('a forged revoke job', { timeout: 90_000 }, () => {
  let scene: Scene;
  let policy: PolicyConfig;

  beforeAll(async () => {
    const world = await startProviderWorld(startTagoioFixture);
    const entry = await world.policy('guarded', { gracePeriod: GRACE, retry: RETRY });
    scene = await Scene.open(world, [entry], { worker: SHORT_LOCKS });
    policy = scene.policy('guarded');
    await scene.startDaemon();
  });

  afterAll(async () => {
    await scene?.close();
  });

  /** A `revoke` job as anything with queue access can add it, with the options rotor gives its own. */
  async function forgeRevoke(handle: string, versionId: string) {
    const payload: RevokePayload = { policyId: policy.id, handle, versionId };
    const job = await scene.infra.queue.add(JOB.revoke, payload, {
      jobId: `forged-${versionId}`,
      attempts: policy.retry.attempts,
      backoff: { type: BACKOFF_TYPE, delay: policy.retry.backoffMs },
      stackTraceLimit: 0,
    });
    return finishedJob(scene.infra.queue, job.id ?? '');
  }

  const refusalAlert = (versionId: string) =>
    within(
      'the revocation.refused alert',
      async () => scene.alerts('revocation.refused').find((alert) => alert.data.versionId === versionId),
      10_000,
    );

  it('naming the AWSCURRENT version is refused: nothing revoked, revocation.refused alerted, AWSCURRENT still accepted', async () => {
    const issuesBefore = scene.issues();
    await scene.rotate(policy);
    await scene.rotate(policy);
    const current = (await scene.infra.records.get(policy.id)).current;
    if (!current) throw new Error('the policy has no current credential after two rotations');
    expect((await scene.awsVersion(policy, 'AWSCURRENT'))?.versionId).toBe(current.versionId);

    const forged = await forgeRevoke(current.handle, current.versionId);
    const alert = await refusalAlert(current.versionId);
    const accepted = await scene.accepts(policy, 'AWSCURRENT');
    const leaks = await scene.leaks();
    record({
      faultsInjected: 1,
      rotationsCompleted: 2,
      credentialsLost: accepted ? 0 : 1,
      duplicateIssues: scene.issues() - issuesBefore - 2,
      leakedValues: leaks.length,
    });

    expect({ state: await forged.getState(), returned: forged.returnvalue }).toEqual({
      state: 'failed',
      returned: null,
    });
    expect(forged.failedReason).toMatch(/refused/);
    expect(forged.failedReason).toMatch(/AWSCURRENT/);
    expect(alert).toMatchObject({
      type: 'revocation.refused',
      data: { policyId: policy.id, provider: 'tagoio' },
    });
    expect(accepted).toBe(true);
    expect(leaks).toEqual([]);
  });

  it('naming the AWSPENDING version of a rotation in flight is refused, and that rotation then completes with it', async () => {
    const issuesBefore = scene.issues();
    const vendor = scene.world.fixture.server;
    // The run is held at verify, after staging: its version carries AWSPENDING until it is promoted.
    vendor.faults.add({
      route: scene.world.fixture.verifyRoute,
      fault: { kind: 'delay', delayMs: 600_000 },
      times: 1,
    });
    const { jobId } = await requestRotation(scene.infra.queue, policy, 'manual', { nowMs: Date.now() });
    const inFlight = await eventually('the run to be held at verify, staged', async () => {
      const held = (await scene.infra.records.get(policy.id)).inFlight;
      return held?.runId === jobId && held.step === 'staged' && vendor.faults.list().length === 0
        ? held
        : undefined;
    });
    const pending = { handle: inFlight.handle ?? '', versionId: inFlight.versionId ?? '' };
    expect((await scene.awsVersion(policy, 'AWSPENDING'))?.versionId).toBe(pending.versionId);

    const forged = await forgeRevoke(pending.handle, pending.versionId);
    const alert = await refusalAlert(pending.versionId);
    // The held verify call only ends with its client: SIGKILL, and the next daemon resumes the run.
    await scene.stopDaemon('kill');
    await scene.startDaemon();
    const run = await finishedJob(scene.infra.queue, jobId);
    const current = await scene.awsVersion(policy, 'AWSCURRENT');
    const accepted = await scene.accepts(policy, 'AWSCURRENT');
    const leaks = await scene.leaks();
    record({
      // The forged job, the held verify call, the SIGKILL that ends it.
      faultsInjected: 3,
      rotationsCompleted: (await run.getState()) === 'completed' ? 1 : 0,
      credentialsLost: accepted ? 0 : 1,
      duplicateIssues: scene.issues() - issuesBefore - 1,
      leakedValues: leaks.length,
    });

    expect(await forged.getState()).toBe('failed');
    expect(forged.failedReason).toMatch(/refused/);
    expect(forged.failedReason).toMatch(/AWSPENDING/);
    expect(alert).toMatchObject({
      type: 'revocation.refused',
      data: { policyId: policy.id, provider: 'tagoio', versionId: pending.versionId },
    });
    expect(await run.getState(), run.failedReason).toBe('completed');
    expect(current?.versionId).toBe(pending.versionId);
    expect(accepted).toBe(true);
    expect(scene.issues() - issuesBefore).toBe(1);
    expect(leaks).toEqual([]);
  });
});

describe('two rotate jobs for one Cloudflare policy under different run ids', { timeout: 90_000 }, () => {
  // Long enough to see the second job's fate while the first run's issue answer is held; far below the
  // connection's 30 s timeout, so the first run gets its answer and goes on.
  const HOLD_MS = 4_000;
  let scene: Scene;
  let policy: PolicyConfig;

  beforeAll(async () => {
    const world = await startProviderWorld(startCloudflareFixture);
    // The grace outlasts the hold, so a secret Cloudflare demoted meanwhile still passes verify (as in the
    // issue); once the grace is over, Access admits only the token's current client secret.
    const entry = await world.policy('contested', { gracePeriod: '10s', retry: RETRY });
    scene = await Scene.open(world, [entry]);
    policy = scene.policy('contested');
    await scene.startDaemon();
  });

  afterAll(async () => {
    await scene?.close();
  });

  it('run one at a time: the second waits delayed without spending an attempt, and AWSCURRENT ends as the secret Cloudflare keeps', async () => {
    const { fixture } = scene.world;
    const issueCalls = () => fixture.server.calls.handled(fixture.issueRoute);
    // Cloudflare carries out the first run's rotate at once; its answer is held.
    fixture.server.faults.add({
      route: fixture.issueRoute,
      fault: { kind: 'hold-response', delayMs: HOLD_MS },
      times: 1,
    });
    const first = (await requestRotation(scene.infra.queue, policy, 'manual', { nowMs: Date.now() })).jobId;
    await eventually('the first run to have issued, its answer held', async () => {
      const inFlight = (await scene.infra.records.get(policy.id)).inFlight;
      return inFlight?.runId === first && issueCalls().length === 1 ? true : undefined;
    });

    // The same job rotor would add, under another run id (so the policy's deduplication does not join it).
    const second = `${policy.id}-m${Date.now() + 1}`;
    const payload: RotatePayload = { policyId: policy.id, runId: second, trigger: 'manual' };
    await scene.infra.queue.add(JOB.rotate, payload, {
      jobId: second,
      attempts: policy.retry.attempts,
      backoff: { type: BACKOFF_TYPE, delay: policy.retry.backoffMs },
      stackTraceLimit: 0,
    });
    const meanwhile = await eventually('the second job to wait or finish', async () => {
      const job = await scene.infra.queue.getJob(second);
      const state = await job?.getState();
      if (state !== 'delayed' && state !== 'completed' && state !== 'failed') return undefined;
      const inFlight = (await scene.infra.records.get(policy.id)).inFlight;
      return {
        state,
        attemptsMade: job?.attemptsMade,
        firstStillInFlight: inFlight?.runId === first && inFlight.step === 'issuing',
        issues: issueCalls().length,
      };
    });

    const firstJob = await finishedJob(scene.infra.queue, first);
    const secondJob = await finishedJob(scene.infra.queue, second);
    const history = await scene.infra.history.recent(policy.id);
    const firstCommittedAt = history.find((entry) => entry.runId === first)?.finishedAt ?? 0;
    // After the grace, Access admits one secret per token: the current one.
    await eventually('the displaced client secret’s grace to be over', () =>
      fixture.liveIssued() === 1 ? true : undefined,
    );
    const accepted = await scene.accepts(policy, 'AWSCURRENT');
    const completed = [firstJob, secondJob].filter((job) => job.finishedOn && !job.failedReason).length;
    const leaks = await scene.leaks();
    record({
      // The held rotate answer and the second job.
      faultsInjected: 2,
      rotationsCompleted: completed,
      credentialsLost: accepted ? 0 : 1,
      duplicateIssues: issueCalls().length - completed,
      leakedValues: leaks.length,
    });

    expect(meanwhile).toEqual({ state: 'delayed', attemptsMade: 0, firstStillInFlight: true, issues: 1 });
    expect(await firstJob.getState(), firstJob.failedReason).toBe('completed');
    expect(await secondJob.getState(), secondJob.failedReason).toBe('completed');
    // No issue while the first run was in flight but its own.
    expect(issueCalls().filter((call) => call.at <= firstCommittedAt)).toHaveLength(1);
    expect(
      history
        .filter((entry) => entry.outcome === 'succeeded')
        .map((entry) => entry.runId)
        .sort(),
    ).toEqual([first, second].sort());
    expect(accepted).toBe(true);
    expect(leaks).toEqual([]);
  });
});
