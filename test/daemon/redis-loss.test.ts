import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readinessKinds } from '../../src/api/readiness.js';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { SWEEP_EVERY_MS, SWEEP_SCHEDULER_ID } from '../../src/queue/alert-sweep.js';
import { JOB, revokeJobIdFor, schedulerIdFor } from '../../src/queue/job-payloads.js';
import { ORPHAN_SWEEP_EVERY_MS, ORPHAN_SWEEP_SCHEDULER_ID } from '../../src/queue/orphan-sweep-schedule.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { Scene, type Stage } from '../support/daemon-scene.js';
import { eventually } from '../support/eventually.js';
import { type FaultOutcome, recordFaultOutcome } from '../support/fault-ledger.js';
import { freePort } from '../support/free-port.js';
import { openProviderWorld } from '../support/open-provider-world.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

const SUITE = 'redis loss';
const PREFIX = 'rotor-redis-loss';
/**
 * The scheduled policies' interval: long enough that none rotates again between its first runs and the loss,
 * short enough to see the next run after it. Their grace is the interval (rotor allows no longer).
 */
const EVERY_MS = 20_000;
const EVERY = `${EVERY_MS}ms`;
/** The overlap policy whose revoke the loss takes: short, so the rescheduled revoke runs within the suite. */
const OVERLAP_GRACE_MS = 8_000;
const RETRY = '{ attempts: 3, backoff: 100ms, maxBackoff: 500ms }';
/**
 * The recovery's reads from AWS (DescribeSecret, GetSecretValue) are held this long each (below the sink's 2 s
 * timeout) until the probes have seen it: a window of several seconds, whatever the machine's speed.
 */
const AWS_READ_DELAY_MS = 1_500;
const AWS_READS = ['DescribeSecret', 'GetSecretValue'];
const API_TOKEN_ENV = 'REDIS_LOSS_API_TOKEN';
/** Scheduled runs fall due within an interval of the recovery; this only bounds a broken test. */
const NEXT_RUN_DEADLINE_MS = 60_000;

/** One `every` policy per provider; each id ends with its provider's id. */
const SCHEDULED = providerFixtures.map(([providerId]) => `every-${providerId}`);
/** An overlap policy (TagoIO deletes the displaced token) rotated only on request. */
const OVERLAP = 'overlap-tagoio';
const LABELS: readonly Stage[] = ['AWSCURRENT', 'AWSPREVIOUS'];

interface LogEntry {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** The version ids AWS labels AWSCURRENT and AWSPREVIOUS (undefined: no such version). */
interface Labelled {
  readonly AWSCURRENT: string | undefined;
  readonly AWSPREVIOUS: string | undefined;
}

interface Readiness {
  readonly status: number;
  readonly body: { status: string; problems?: unknown[] };
}

function record(outcome: Omit<FaultOutcome, 'suite'>): void {
  recordFaultOutcome({ suite: SUITE, ...outcome });
}

/** The same keys, every one true: compared with `toEqual`, a failure names what was false. */
function allTrue(verdicts: Record<string, boolean>): Record<string, true> {
  return Object.fromEntries(Object.keys(verdicts).map((key) => [key, true]));
}

describe('a Redis that forgets rotor’s state (the suite’s own redis-server, no AOF)', {
  timeout: 120_000,
}, () => {
  let server: RedisServer;
  let scene: Scene;
  let apiUrl: string;
  const apiToken = randomBytes(24).toString('base64url');

  // What the daemon output held before each loss (its length): the log of each scenario starts there.
  let outputAtLoss = 0;
  let issuesAtLoss = 0;
  let lossAt = 0;
  /** AWS's labelled versions of each policy just before the loss under the running daemon. */
  const beforeLoss = new Map<string, Labelled>();
  /** The version the overlap policy's lost revoke was for (its AWSPREVIOUS), and the tagoio issues of its runs. */
  let displaced = '';
  let overlapIssues = 0;
  let revokePendingAtLoss = false;
  /** What the probes answered while the daemon recovered, and right after. */
  let recovering: Readiness | undefined;
  let recoveringDetail: Readiness | undefined;
  let readyAgain: Readiness | undefined;
  /** Vendor verdicts on every labelled credential, taken as soon as the daemon was ready again. */
  const afterRecovery: Record<string, boolean> = {};
  let revokeNotRunAfterChecks = false;

  const policy = (id: string): PolicyConfig => scene.policy(id);
  const output = (from = 0): string => scene.output.join('').slice(from);
  const logEntries = (from = 0): LogEntry[] =>
    output(from)
      .split('\n')
      .flatMap((line) => {
        try {
          const entry = JSON.parse(line) as LogEntry;
          return typeof entry.msg === 'string' ? [entry] : [];
        } catch {
          return [];
        }
      });
  const succeeded = (from = 0) => logEntries(from).filter((entry) => entry.msg === 'rotation succeeded');
  const version = async (id: string, stage: Stage) => (await scene.awsVersion(policy(id), stage))?.versionId;
  const labelled = async (id: string): Promise<Labelled> => ({
    AWSCURRENT: await version(id, 'AWSCURRENT'),
    AWSPREVIOUS: await version(id, 'AWSPREVIOUS'),
  });
  const probe = async (path: string, bearer = false): Promise<Readiness | undefined> => {
    const response = await fetch(`${apiUrl}${path}`, {
      ...(bearer ? { headers: { authorization: `Bearer ${apiToken}` } } : {}),
    }).catch(() => undefined);
    if (!response) return undefined;
    return { status: response.status, body: (await response.json()) as Readiness['body'] };
  };
  const revokeJob = () => scene.infra.queue.getJob(revokeJobIdFor(OVERLAP, displaced));

  /** Stops the suite's redis-server and starts it again on the same port: no AOF, no RDB, so it comes back empty. */
  const restartRedisEmpty = async () => {
    await server.stop();
    await server.start();
  };

  beforeAll(async () => {
    server = await startRedisServer();
    const scopeRedis = new Redis(server.url, { maxRetriesPerRequest: null });
    // Redis restarts under this suite on purpose: its clients reconnect.
    scopeRedis.on('error', () => undefined);
    const world = await openProviderWorld(
      { redis: scopeRedis, prefix: PREFIX, url: server.url, cleanup: async () => scopeRedis.disconnect() },
      providerFixtures.map(([, start]) => start),
    );
    const fixtureFor = (id: string) => {
      const fixture = world.fixtures.find((candidate) => id.endsWith(`-${candidate.providerId}`));
      if (!fixture) throw new Error(`no fixture for ${id}`);
      return fixture;
    };
    const entries = await Promise.all([
      ...SCHEDULED.map((id) =>
        world.policy(
          id,
          { schedule: `{ every: ${EVERY} }`, gracePeriod: EVERY, retry: RETRY },
          fixtureFor(id),
        ),
      ),
      world.policy(OVERLAP, { gracePeriod: `${OVERLAP_GRACE_MS}ms`, retry: RETRY }, fixtureFor(OVERLAP)),
    ]);
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    scene = await Scene.open(
      world,
      entries,
      { api: `port: ${apiPort}\ntokens: [{ env: ${API_TOKEN_ENV} }]` },
      { [API_TOKEN_ENV]: apiToken },
    );
    scene.infra.redis.on('error', () => undefined);
    scene.infra.queueConnection.on('error', () => undefined);
    scene.infra.queue.on('error', () => undefined);
    await scene.startDaemon();

    // The daemon's first run of each scheduled policy (its secret did not exist), then one on request:
    // AWSCURRENT and AWSPREVIOUS both hold credentials rotor made.
    await eventually('each scheduled policy’s first run to complete', async () => {
      const done = (await scene.infra.queue.getJobs(['completed'])).filter(
        (job) => job.name === JOB.rotate && job.data.trigger === 'initial',
      );
      return SCHEDULED.every((id) => done.some((job) => job.data.policyId === id)) ? true : undefined;
    });
    await Promise.all(SCHEDULED.map((id) => scene.rotate(policy(id))));
    // The overlap policy twice, just before the loss: the revoke of its first credential is a delayed job then.
    overlapIssues = scene.issues();
    await scene.rotate(policy(OVERLAP));
    await scene.rotate(policy(OVERLAP));
    overlapIssues = scene.issues() - overlapIssues;
    for (const id of [...SCHEDULED, OVERLAP]) beforeLoss.set(id, await labelled(id));
    displaced = beforeLoss.get(OVERLAP)?.AWSPREVIOUS ?? '';
    revokePendingAtLoss = (await (await revokeJob())?.getState()) === 'delayed';

    // The recovery reads each secret from AWS: held a moment, so the probes can see it.
    for (const route of AWS_READS)
      scene.world.aws.server.faults.add({ route, fault: { kind: 'delay', delayMs: AWS_READ_DELAY_MS } });
    outputAtLoss = output().length;
    issuesAtLoss = scene.issues();
    lossAt = Date.now();
    await restartRedisEmpty();

    // Both probes at once: the unauthenticated one (kinds only) and a bearer caller's (with details).
    [recovering, recoveringDetail] = await eventually(
      '/readyz and /v1/readiness to answer 503 state-recovering',
      async () => {
        const answers = await Promise.all([probe('/readyz'), probe('/v1/readiness', true)]);
        return answers.every(
          (answer) =>
            answer?.status === 503 &&
            answer.body.problems?.some(
              (problem) =>
                problem === 'state-recovering' ||
                (problem as { kind?: unknown } | undefined)?.kind === 'state-recovering',
            ),
        )
          ? answers
          : undefined;
      },
    );
    for (const route of AWS_READS) scene.world.aws.server.faults.clear(route);
    readyAgain = await eventually('/readyz to answer 200 again', async () => {
      const answer = await probe('/readyz');
      return answer?.status === 200 ? answer : undefined;
    });
    for (const id of [...SCHEDULED, OVERLAP]) {
      for (const stage of LABELS) afterRecovery[`${id} ${stage}`] = await scene.accepts(policy(id), stage);
    }
    // The overlap policy's AWSPREVIOUS was checked before its rescheduled revoke ran (records are rebuilt in
    // the background, so the revoke may not be scheduled again yet).
    const revokeState = await (await revokeJob())?.getState();
    revokeNotRunAfterChecks = revokeState === undefined || revokeState === 'delayed';
  }, 90_000);

  afterAll(async () => {
    await scene?.close();
    await server?.close();
  });

  it('says so once: a log line naming the Redis, one state.lost alert, /readyz 503 state-recovering while it recovers, then 200', async () => {
    const alert = await eventually('the state.lost alert', () => scene.alerts('state.lost')[0]);
    await eventually('the recovery to be logged as done', () =>
      logEntries(outputAtLoss).some((entry) => entry.msg === 'rotor state recovered: schedules resumed')
        ? true
        : undefined,
    );
    const where = `127.0.0.1:${server.port}`;
    const lostLines = logEntries(outputAtLoss).filter((entry) => entry.msg.includes("lost rotor's state"));

    expect(lostLines).toHaveLength(1);
    expect(lostLines[0]?.level).toBe(50);
    expect(lostLines[0]?.msg).toContain(where);
    expect(lostLines[0]?.msg).toContain(PREFIX);
    expect(alert.data.policyId).toBeUndefined();
    expect((alert.data.error as { message?: string } | undefined)?.message).toContain("lost rotor's state");
    expect((alert.data.details as { redis?: string } | undefined)?.redis).toContain(where);
    expect((alert.data.details as { redis?: string } | undefined)?.redis).toContain(PREFIX);

    // The unauthenticated probe gives kinds only; a bearer caller gets what was lost.
    expect(recovering?.status).toBe(503);
    expect(recovering?.body.status).toBe('unready');
    expect(recovering?.body.problems).toContain('state-recovering');
    for (const problem of recovering?.body.problems ?? []) expect(readinessKinds).toContain(problem);
    expect(recoveringDetail?.status).toBe(503);
    expect(recoveringDetail?.body.problems).toContainEqual({
      kind: 'state-recovering',
      detail: expect.stringContaining("lost rotor's state"),
    });
    expect(readyAgain).toEqual({ status: 200, body: { status: 'ready' } });
    // Still one alert once every replica (here, the one daemon) has checked again.
    expect(scene.alerts('state.lost')).toHaveLength(1);
  });

  it('revokes and deletes nothing AWS labels: every AWSCURRENT and AWSPREVIOUS is accepted by its vendor after the recovery', () => {
    expect(afterRecovery).toEqual(allTrue(afterRecovery));
    expect(Object.keys(afterRecovery)).toHaveLength((SCHEDULED.length + 1) * LABELS.length);
  });

  it('re-creates the Job Schedulers: each policy’s, the orphan sweep’s and the alert sweep’s', async () => {
    const { queue } = scene.infra;
    for (const id of SCHEDULED) {
      const scheduler = await queue.getJobScheduler(schedulerIdFor(id));
      expect(scheduler?.every, id).toBe(EVERY_MS);
      // Re-created by the recovery: first due one interval after it, not at once.
      expect(scheduler?.next, id).toBeGreaterThanOrEqual(lossAt + EVERY_MS);
    }
    expect((await queue.getJobScheduler(ORPHAN_SWEEP_SCHEDULER_ID))?.every).toBe(ORPHAN_SWEEP_EVERY_MS);
    expect((await queue.getJobScheduler(SWEEP_SCHEDULER_ID))?.every).toBe(SWEEP_EVERY_MS);
  });

  it('reschedules the overlap policy’s lost revoke one grace period after the rebuild: then AWSPREVIOUS is refused, AWSCURRENT still accepted', async () => {
    const { queue } = scene.infra;
    const jobId = revokeJobIdFor(OVERLAP, displaced);
    const rescheduled = await eventually('the lost revoke to be scheduled again', () => queue.getJob(jobId));
    const dueAt = (rescheduled?.timestamp ?? 0) + (rescheduled?.opts.delay ?? 0);
    const run = await eventually(
      'the rescheduled revoke to finish',
      async () => {
        const state = await queue.getJobState(jobId);
        return state === 'completed' || state === 'failed' ? queue.getJob(jobId) : undefined;
      },
      OVERLAP_GRACE_MS + 30_000,
    );
    const previousAccepted = await scene.accepts(policy(OVERLAP), { versionId: displaced });
    const currentAccepted = await scene.accepts(policy(OVERLAP), 'AWSCURRENT');
    const leaks = await scene.leaks();
    record({
      // The revoke job the loss took.
      faultsInjected: 1,
      rotationsCompleted: 2,
      credentialsLost: currentAccepted ? 0 : 1,
      duplicateIssues: overlapIssues - 2,
      leakedValues: leaks.length,
    });

    expect(revokePendingAtLoss).toBe(true);
    expect(displaced).not.toBe('');
    expect(await version(OVERLAP, 'AWSPREVIOUS')).toBe(displaced);
    // Found again after the loss, as a delayed job due no earlier than one grace period after the loss.
    expect(rescheduled?.name).toBe(JOB.revoke);
    expect(rescheduled?.data).toMatchObject({ policyId: OVERLAP, versionId: displaced });
    expect(dueAt).toBeGreaterThanOrEqual(lossAt + OVERLAP_GRACE_MS);
    expect(revokeNotRunAfterChecks).toBe(true);
    expect(afterRecovery[`${OVERLAP} AWSPREVIOUS`]).toBe(true);
    expect(await run?.getState(), run?.failedReason).toBe('completed');
    expect(previousAccepted).toBe(false);
    expect(currentAccepted).toBe(true);
    expect(leaks).toEqual([]);
  });

  /**
   * Waits until every scheduled policy's AWSCURRENT has moved past `before`, books the fault row, and checks
   * that the schedule made each move, issuing once per run, with the vendor accepting the new credential.
   */
  async function expectNextScheduledRotations(
    before: ReadonlyMap<string, Labelled>,
    outputFrom: number,
    issuesFrom: number,
    faultsInjected: number,
  ): Promise<void> {
    const moved = await eventually(
      'each scheduled policy’s AWSCURRENT to move',
      async () => {
        const now = Object.fromEntries(
          await Promise.all(SCHEDULED.map(async (id) => [id, await version(id, 'AWSCURRENT')] as const)),
        );
        return SCHEDULED.every((id) => now[id] !== undefined && now[id] !== before.get(id)?.AWSCURRENT)
          ? now
          : undefined;
      },
      NEXT_RUN_DEADLINE_MS,
    );
    const runs = await eventually('the runs to be logged', () => {
      const logged = succeeded(outputFrom);
      return SCHEDULED.every((id) => logged.some((entry) => entry.versionId === moved[id]))
        ? logged
        : undefined;
    });
    const accepted = Object.fromEntries(
      await Promise.all(SCHEDULED.map(async (id) => [id, await scene.accepts(policy(id), 'AWSCURRENT')])),
    );
    const leaks = await scene.leaks();
    record({
      faultsInjected,
      rotationsCompleted: runs.length,
      credentialsLost: Object.values(accepted).filter((ok) => !ok).length,
      duplicateIssues: scene.issues() - issuesFrom - runs.length,
      leakedValues: leaks.length,
    });

    // The run that moved AWSCURRENT was the schedule's, not a catch-up or a request.
    for (const id of SCHEDULED) {
      expect(runs.find((entry) => entry.versionId === moved[id])?.trigger, id).toBe('schedule');
    }
    expect(accepted).toEqual(Object.fromEntries(SCHEDULED.map((id) => [id, true])));
    expect(scene.issues() - issuesFrom).toBe(runs.length);
    expect(scene.alerts('state.lost')).toHaveLength(1);
    expect(leaks).toEqual([]);
  }

  it('rotates each scheduled policy on its schedule after the loss: AWSCURRENT moves and the vendor accepts it', async () => {
    // The restart that emptied Redis, and the slow AWS reads during the recovery.
    await expectNextScheduledRotations(beforeLoss, outputAtLoss, issuesAtLoss, 2);
  });

  describe('emptied while the daemon was stopped', () => {
    const beforeStop = new Map<string, Labelled>();
    let outputAtStart = 0;
    let issuesAtStart = 0;

    beforeAll(async () => {
      await eventually('no rotation in flight', async () => {
        const records = await Promise.all(SCHEDULED.map((id) => scene.infra.records.get(id)));
        return records.every((stored) => stored.inFlight === undefined) ? true : undefined;
      });
      await scene.stopDaemon();
      for (const id of [...SCHEDULED, OVERLAP]) beforeStop.set(id, await labelled(id));
      await restartRedisEmpty();
      outputAtStart = output().length;
      issuesAtStart = scene.issues();
      await scene.startDaemon();
    }, 60_000);

    it('starts without a state.lost alert, logs that it started on a Redis without rotor’s state, and rebuilds every record from AWS', async () => {
      const startedOnEmpty = (entry: LogEntry) =>
        entry.msg.startsWith('started on a Redis without rotor’s state while AWS holds its secrets');
      // The start-up rebuild runs in the background: the line is logged once it is done.
      await eventually('the start on an empty Redis to be logged', () =>
        logEntries(outputAtStart).some(startedOnEmpty) ? true : undefined,
      );
      const records = Object.fromEntries(
        await Promise.all(
          [...SCHEDULED, OVERLAP].map(async (id) => [id, await scene.infra.records.get(id)] as const),
        ),
      );
      const started = logEntries(outputAtStart).filter(startedOnEmpty);

      expect(started).toHaveLength(1);
      expect(logEntries(outputAtStart).filter((entry) => entry.msg.includes("lost rotor's state"))).toEqual(
        [],
      );
      for (const id of [...SCHEDULED, OVERLAP]) {
        const stored = records[id];
        const labels = beforeStop.get(id);
        expect(stored?.rebuiltAt, id).toBeDefined();
        expect({ current: stored?.current?.versionId, previous: stored?.previous?.versionId }, id).toEqual({
          current: labels?.AWSCURRENT,
          previous: labels?.AWSPREVIOUS,
        });
      }
      // Only the loss under the running daemon alerted.
      expect(scene.alerts('state.lost')).toHaveLength(1);
    });

    it('revokes and deletes nothing on the start: AWSCURRENT and AWSPREVIOUS of every scheduled policy accepted', async () => {
      const verdicts: Record<string, boolean> = {};
      for (const id of SCHEDULED) {
        for (const stage of LABELS) verdicts[`${id} ${stage}`] = await scene.accepts(policy(id), stage);
      }
      // The overlap policy's AWSPREVIOUS was revoked after its grace above; its AWSCURRENT stays.
      verdicts[`${OVERLAP} AWSCURRENT`] = await scene.accepts(policy(OVERLAP), 'AWSCURRENT');
      expect(verdicts).toEqual(allTrue(verdicts));
      for (const id of [...SCHEDULED, OVERLAP]) expect(await labelled(id), id).toEqual(beforeStop.get(id));
    });

    it('rotates each scheduled policy at its next scheduled run: AWSCURRENT moves and the vendor accepts it', async () => {
      // Redis emptied while no daemon ran.
      await expectNextScheduledRotations(beforeStop, outputAtStart, issuesAtStart, 1);
    });
  });
});
