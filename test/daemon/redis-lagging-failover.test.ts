import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { startTagoioFixture } from '../providers/tagoio.fixture.js';
import { Scene } from '../support/daemon-scene.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { freePort } from '../support/free-port.js';
import { openProviderWorld } from '../support/open-provider-world.js';
import { type SentinelGroup, startSentinelGroup } from '../support/sentinel-group.js';

const API_TOKEN = 'lagging-failover-api-token-0123456789abcdef';
// Short locks, so the job the dead daemon held is taken over within seconds of the restart.
const WORKER = 'lockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 5';

/**
 * A failover to a replica that missed the last writes. The replica is frozen (SIGSTOP) and the network to it
 * drops what is in flight while the run waits for the vendor's answer to its issue call — after the run's
 * start reached the replica, before its journal write. The host of the master and the daemon then dies (both SIGKILLed), the replica
 * resumes, the sentinels promote it, and the daemon starts again on it. A TagoIO policy: an overlap action
 * whose vendor lists what rotor made.
 */
class LaggingFailover {
  readonly #cleanups: (() => Promise<void>)[] = [];
  group!: SentinelGroup;
  scene!: Scene;
  policy!: PolicyConfig;
  apiUrl!: string;

  async open(replicaWait: 'auto' | 'off'): Promise<void> {
    // Generous down-after: the frozen replica's link is down for seconds, and the sentinels promote no
    // replica whose link has been down longer than ten times this.
    this.group = await startSentinelGroup({ downAfterMs: 2_000, replicationRelay: true });
    this.#cleanups.push(() => this.group.close());
    const worldRedis = this.group.client();
    worldRedis.on('error', () => undefined);
    const prefix = `rotor-lag-${replicaWait}`;
    const world = await openProviderWorld(
      { redis: worldRedis, prefix, url: this.group.master.url, cleanup: async () => worldRedis.disconnect() },
      [startTagoioFixture],
    );
    const entry = await world.policy('lagging', {
      gracePeriod: '10m',
      retry: '{ attempts: 30, backoff: 200ms, maxBackoff: 1s }',
    });
    const apiPort = await freePort();
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.scene = await Scene.open(
      world,
      [entry],
      {
        redisLocation: `${this.group.location}\nreplicaWait: { mode: ${replicaWait}, timeout: 300ms }`,
        worker: WORKER,
        api: `port: ${apiPort}\ntokens: [{ env: LAG_API_TOKEN }]`,
      },
      { LAG_API_TOKEN: API_TOKEN },
    );
    this.#cleanups.unshift(() => this.scene.close());
    this.policy = this.scene.config.policies[0] as PolicyConfig;
    await this.scene.startDaemon();
  }

  /** Starts a run, and freezes the replica once the run's start is on it and the vendor holds its answer. */
  async startRunAndFreezeReplica(): Promise<{ jobId: string; issuesBefore: number }> {
    const { scene, policy, group } = this;
    const fixture = scene.world.fixture;
    fixture.server.faults.add({
      route: fixture.issueRoute,
      fault: { kind: 'delay', delayMs: 3_000 },
      times: 1,
    });
    const issuesBefore = scene.issues();
    const { jobId } = await requestRotation(scene.infra.queue, policy, 'manual', { nowMs: Date.now() });
    await eventually('the run to start', async () =>
      (await scene.infra.records.get(policy.id)).inFlight?.step === 'issuing' ? true : undefined,
    );
    const master = new Redis(group.master.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      // Everything so far (the job, the run's start) is on the replica; nothing written from now on will be.
      expect(await master.call('WAIT', '1', '5000')).toBe(1);
    } finally {
      master.disconnect();
    }
    group.replica.pause();
    // What the master sends from now on dies in the network with the master's host (the master still counts
    // the replica as connected, lagging, as it does until repl-timeout).
    group.relay?.freeze();
    // The precondition of the scenario: the vendor has not answered yet, so the journal write comes after.
    expect(scene.issues()).toBe(issuesBefore);
    return { jobId, issuesBefore };
  }

  /** The host of the master and the daemon dies; the replica resumes and is promoted; the daemon restarts. */
  async failOverAndRestart(): Promise<void> {
    await this.scene.stopDaemon('kill');
    await this.group.master.kill();
    this.group.replica.resume();
    await this.group.promoted();
  }

  /** The resumed run's end, as the fault summary counts it (one run, one credential expected). */
  async outcome(suite: string, jobId: string, issuesBefore: number) {
    const { scene, policy } = this;
    const job = await finishedJob(scene.infra.queue, jobId, 120_000);
    const state = await job.getState();
    const accepted = await scene.accepts(policy, 'AWSCURRENT');
    const issued = scene.issues() - issuesBefore;
    const leaks = await scene.leaks();
    recordFaultOutcome({
      suite,
      faultsInjected: 1,
      rotationsCompleted: state === 'completed' ? 1 : 0,
      credentialsLost: accepted ? 0 : 1,
      duplicateIssues: Math.max(issued - 1, 0),
      leakedValues: leaks.length,
    });
    return { state, failedReason: job.failedReason, accepted, issued, leaks };
  }

  async replicaWaitTimeouts(): Promise<number> {
    const response = await fetch(`${this.apiUrl}/metrics`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    const text = await response.text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('rotor_redis_replica_wait_timeouts_total{waited_for="journal"}'));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  }

  async close(): Promise<void> {
    for (const cleanup of this.#cleanups) await cleanup().catch(() => undefined);
  }
}

let failover: LaggingFailover | undefined;
afterEach(async () => {
  await failover?.close();
  failover = undefined;
});

describe('a failover to a replica that missed the last writes', { timeout: 180_000 }, () => {
  it('with replica waits on (`auto`: the master still counts the lagging replica), the run does not stage the credential it issued while no replica holds its journal entry; after the failover it adopts that credential and completes, nothing lost, nothing issued twice', async () => {
    failover = new LaggingFailover();
    await failover.open('auto');
    const { scene, policy } = failover;
    await scene.rotate(policy);
    const before = await scene.awsVersions(policy);

    const { jobId, issuesBefore } = await failover.startRunAndFreezeReplica();
    // The vendor answers, the journal entry is written to the master alone, and the run stops there, again
    // on every retry, while the replica is frozen.
    await eventually('a replica wait to time out on the journal entry, twice', async () =>
      ((await failover?.replicaWaitTimeouts()) ?? 0) >= 2 ? true : undefined,
    );
    const issuedWhileLagging = scene.issues() - issuesBefore;
    const versionsWhileLagging = await scene.awsVersions(policy);

    await failover.failOverAndRestart();
    await scene.startDaemon();
    const { state, failedReason, accepted, issued, leaks } = await failover.outcome(
      'redis lagging failover (replica waits on)',
      jobId,
      issuesBefore,
    );
    const after = await scene.awsVersions(policy);

    expect(issuedWhileLagging).toBe(1);
    expect(versionsWhileLagging).toEqual(before);
    expect(state, failedReason).toBe('completed');
    expect(accepted).toBe(true);
    // The credential issued while the replica lagged is the one in AWSCURRENT: found again at the vendor.
    expect(issued).toBe(1);
    expect(after.size).toBe(before.size + 1);
    expect(scene.world.fixture.liveIssued()).toBe(2);
    expect(leaks).toEqual([]);
  });

  it('with replica waits off, the run goes on to promote while only the master knows; the promoted replica’s record is a run that never issued — AWS refuses the promote on that stale view, nothing current is revoked, and the run finishes on AWS’s view', async () => {
    failover = new LaggingFailover();
    await failover.open('off');
    const { scene, policy } = failover;
    await scene.rotate(policy);
    const first = await scene.awsVersion(policy, 'AWSCURRENT');

    const { jobId, issuesBefore } = await failover.startRunAndFreezeReplica();
    const lost = await finishedJob(scene.infra.queue, jobId, 60_000);
    expect(await lost.getState(), lost.failedReason).toBe('completed');
    const promotedOnMaster = await scene.awsVersion(policy, 'AWSCURRENT');

    await failover.failOverAndRestart();
    // What the failover lost: the replica's record still has the run at its start, on the old AWSCURRENT.
    const stale = await scene.infra.records.get(policy.id);
    await scene.startDaemon();
    const { state, failedReason, accepted, issued, leaks } = await failover.outcome(
      'redis lagging failover (replica waits off)',
      jobId,
      issuesBefore,
    );
    const current = await scene.awsVersion(policy, 'AWSCURRENT');
    const versions = await scene.awsVersions(policy);
    const revokeOfFirst = (await scene.infra.queue.getDelayed()).find(
      (delayed) => (delayed.data as { versionId?: string }).versionId === first?.versionId,
    );

    expect(await failover.replicaWaitTimeouts()).toBe(0);
    expect(promotedOnMaster?.versionId).not.toBe(first?.versionId);
    expect(stale.current?.versionId).toBe(first?.versionId);
    expect(stale.inFlight).toMatchObject({ step: 'issuing', baseVersionId: first?.versionId });
    expect(state, failedReason).toBe('completed');
    expect(scene.output.join('')).toContain('AWSCURRENT holds an earlier attempt of this run');
    // The run's newest version is current, over its own earlier one; the credential both hold is live.
    expect(current?.credential).toEqual(promotedOnMaster?.credential);
    expect(versions.get(promotedOnMaster?.versionId ?? '')).toEqual(['AWSPREVIOUS']);
    expect(accepted).toBe(true);
    expect(issued).toBe(1);
    // The revoke the failover lost is scheduled again, for the credential the run displaced at AWS.
    expect(revokeOfFirst).toBeDefined();
    expect(await scene.accepts(policy, { versionId: first?.versionId ?? '' })).toBe(true);
    expect(leaks).toEqual([]);
  });
});
