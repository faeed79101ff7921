import type { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { rollbackRunId } from '../../src/domain/ids.js';
import { providers } from '../../src/providers/registry.js';
import { JOB, type RollbackPayload, revokeJobIdFor } from '../../src/queue/job-payloads.js';
import { requestRollback } from '../../src/queue/rollback-requests.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { eventually } from '../support/eventually.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import type { ProviderFixture } from '../support/provider-fixture.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';
import { loadWorldConfig } from '../support/world-config.js';

/** Providers whose actions all keep the displaced credential live until rotor revokes it. */
const overlapProviders = providerFixtures.filter(([id]) => {
  const actions = Object.values(providers[id]?.actions ?? {});
  return actions.length > 0 && actions.every((action) => action.capability === 'overlap');
});

const GRACE = '5s';
const GRACE_MS = 5_000;
const ROLLED_BACK_LABEL = 'rotor-rolled-back';
/** Bounds a broken test's waits below the test timeout, so it fails naming what it waited for. */
const WAIT_MS = 15_000;
const finishedWithin = (queue: Queue, jobId: string) => finishedJob(queue, jobId, WAIT_MS);

interface Scenario {
  readonly world: ProviderWorld;
  readonly vendor: ProviderFixture;
  readonly policy: PolicyConfig;
  readonly infra: RedisInfrastructure;
  readonly aws: AwsSecrets;
  readonly receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  readonly daemon: Daemon;
}

interface Version {
  readonly versionId: string;
  readonly credential: unknown;
}

describe.each(overlapProviders)('%s: rollback through the daemon', (_providerId, startFixture) => {
  let scenario: Scenario | undefined;

  async function open(): Promise<Scenario> {
    const world = await startProviderWorld(startFixture);
    const receiver = await startWebhookReceiver(world.env.WORLD_WEBHOOK_SECRET);
    const entry = await world.policy('rollback', {
      gracePeriod: GRACE,
      retry: '{ attempts: 3, backoff: 100ms, maxBackoff: 200ms }',
    });
    const alerts = `endpoints:\n  - { name: ops, url: "${receiver.url}", secret: { env: WORLD_WEBHOOK_SECRET }, events: [rotation.rolled_back] }`;
    const config = await loadWorldConfig(world.yaml([entry], { alerts }), world.env);
    const policy = config.policies[0] as PolicyConfig;
    expect(policy.capability).toBe('overlap');
    scenario = {
      world,
      vendor: world.fixture,
      policy,
      infra: connectRedis(config),
      aws: new AwsSecrets(world.aws.client),
      receiver,
      daemon: await startDaemon(config, { log: memoryLogger('info').log }),
    };
    return scenario;
  }

  afterEach(async () => {
    await scenario?.daemon.stop();
    await scenario?.infra.close();
    scenario?.aws.close();
    await scenario?.receiver.close();
    await scenario?.world.close();
    scenario = undefined;
  });

  /** Runs a rotation to completion; AWSCURRENT after it, read with the official AWS SDK. */
  async function rotated({ infra, policy, aws }: Scenario): Promise<Version> {
    const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
    expect(await (await finishedWithin(infra.queue, jobId)).getState()).toBe('completed');
    const current = await aws.version(policy.secret.id, 'AWSCURRENT');
    if (!current) throw new Error('no AWSCURRENT after a completed run');
    return current;
  }

  /** Asks for a rollback as `rotor rollback` does; the job it added. */
  async function rolledBack(opened: Scenario, options: { revokeNow?: boolean } = {}) {
    const { infra, policy } = opened;
    const requested = await requestRollback(infra.queue, policy, await infra.records.get(policy.id), {
      nowMs: Date.now(),
      requestedBy: 'oncall@example.com',
      reason: 'the new credential broke billing',
      ...options,
    });
    if (requested.kind === 'refused') throw new Error(`rollback refused: ${requested.reason}`);
    return finishedWithin(infra.queue, requested.jobId);
  }

  const labelsOf = async ({ aws, policy }: Scenario, versionId: string) =>
    (await aws.versions(policy.secret.id)).find((version) => version.versionId === versionId)?.stages ?? [];

  const revokeCalls = ({ vendor }: Scenario) => vendor.server.calls.handled(vendor.revokeRoute ?? '').length;

  it('restores the displaced credential as AWSCURRENT, accepted by the vendor, without running its pending revoke; the rolled-back credential is labelled, revoked after the grace period, and the rollback is recorded and alerted', async () => {
    const opened = await open();
    const { infra, policy, aws, vendor, receiver } = opened;
    const first = await rotated(opened);
    const second = await rotated(opened);
    const firstRevoke = revokeJobIdFor(policy.id, first.versionId);
    expect(await infra.queue.getJobState(firstRevoke)).toBe('delayed');

    const job = await rolledBack(opened);

    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toMatchObject({
      versionId: first.versionId,
      rolledBackVersionId: second.versionId,
      alreadyDone: false,
    });
    expect((await aws.version(policy.secret.id, 'AWSCURRENT'))?.versionId).toBe(first.versionId);
    expect(await vendor.accepts(first.credential)).toBe(true);
    // The first credential's revoke was taken out of the queue: it never runs.
    expect(await infra.queue.getJob(firstRevoke)).toBeUndefined();
    expect(await labelsOf(opened, second.versionId)).toEqual(
      expect.arrayContaining(['AWSPREVIOUS', ROLLED_BACK_LABEL]),
    );
    const record = await infra.records.get(policy.id);
    expect(record.current?.versionId).toBe(first.versionId);
    expect(record.previous?.versionId).toBe(second.versionId);
    expect(record.rolledBack).toEqual({
      versionId: second.versionId,
      handle: record.previous?.handle,
      runId: job.id,
      at: expect.any(Number),
    });
    const [entry] = await infra.history.recent(policy.id, 1);
    expect(entry).toMatchObject({
      runId: job.id,
      trigger: 'rollback',
      outcome: 'succeeded',
      versionId: first.versionId,
      requestedBy: 'oncall@example.com',
      reason: 'the new credential broke billing',
    });
    const alert = await eventually('the rotation.rolled_back alert', () => receiver.delivered()[0], WAIT_MS);
    expect(alert).toMatchObject({
      type: 'rotation.rolled_back',
      data: {
        policyId: policy.id,
        runId: job.id,
        versionId: first.versionId,
        details: { rolledBackVersionId: second.versionId, requestedBy: 'oncall@example.com' },
      },
    });

    // The rolled-back credential stays live for the grace period, then is revoked like any displaced one.
    const secondRevoke = await infra.queue.getJob(revokeJobIdFor(policy.id, second.versionId));
    if (!secondRevoke) throw new Error('the rollback scheduled no revoke of the rolled-back credential');
    expect(secondRevoke.timestamp + (secondRevoke.opts.delay ?? 0)).toBe(
      (record.lastSuccessAt ?? 0) + GRACE_MS,
    );
    expect(await vendor.accepts(second.credential)).toBe(true);
    expect(await (await finishedWithin(infra.queue, secondRevoke.id ?? '')).getState()).toBe('completed');
    expect(revokeCalls(opened)).toBe(vendor.revokeCalls ?? 1);
    expect(await vendor.accepts(second.credential)).toBe(false);
    expect(await vendor.accepts(first.credential)).toBe(true);
  });

  it('a second rollback is refused with its reason, and a forged one that names a superseded current version fails with its reason, changing nothing', async () => {
    const opened = await open();
    const { infra, policy, aws, vendor } = opened;
    const first = await rotated(opened);
    const second = await rotated(opened);
    const done = await rolledBack(opened);
    expect(await done.getState()).toBe('completed');

    const again = await requestRollback(infra.queue, policy, await infra.records.get(policy.id), {
      nowMs: Date.now(),
    });
    expect(again).toEqual({ kind: 'refused', reason: expect.stringContaining('never promoted again') });

    // Straight onto the queue, as any service with queue access could: the job checks for itself.
    const forgedId = rollbackRunId(policy.id, Date.now());
    const forged: RollbackPayload = { policyId: policy.id, runId: forgedId, fromVersionId: second.versionId };
    await infra.queue.add(JOB.rollback, forged, { jobId: forgedId });
    const failed = await finishedWithin(infra.queue, forgedId);
    expect(await failed.getState()).toBe('failed');
    expect(failed.failedReason).toMatch(/rollback refused: .*rotated since the rollback was asked for/);
    expect((await aws.version(policy.secret.id, 'AWSCURRENT'))?.versionId).toBe(first.versionId);
    expect(await vendor.accepts(first.credential)).toBe(true);
    const [entry] = await infra.history.recent(policy.id, 1);
    expect(entry).toMatchObject({ runId: forgedId, trigger: 'rollback', outcome: 'failed' });
  });

  it('with revoke-now, the rolled-back credential is revoked at once', async () => {
    const opened = await open();
    const { infra, policy, vendor } = opened;
    const first = await rotated(opened);
    const second = await rotated(opened);

    const job = await rolledBack(opened, { revokeNow: true });

    expect(await job.getState()).toBe('completed');
    const revoke = await infra.queue.getJob(revokeJobIdFor(policy.id, second.versionId));
    if (!revoke) throw new Error('the rollback scheduled no revoke of the rolled-back credential');
    expect(revoke.timestamp + (revoke.opts.delay ?? 0)).toBeLessThan((job.finishedOn ?? 0) + GRACE_MS);
    expect(await (await finishedWithin(infra.queue, revoke.id ?? '')).getState()).toBe('completed');
    expect(await vendor.accepts(second.credential)).toBe(false);
    expect(await vendor.accepts(first.credential)).toBe(true);
  });

  it('the schedule goes on after a rollback: the next rotation displaces the restored credential and leaves the rollback mark behind', async () => {
    const opened = await open();
    const { infra, policy, vendor } = opened;
    const first = await rotated(opened);
    await rotated(opened);
    expect(await (await rolledBack(opened)).getState()).toBe('completed');

    const third = await rotated(opened);

    expect(await vendor.accepts(third.credential)).toBe(true);
    const record = await infra.records.get(policy.id);
    expect(record.current?.versionId).toBe(third.versionId);
    expect(record.previous?.versionId).toBe(first.versionId);
    expect(record.rolledBack).toBeUndefined();
    expect(await infra.queue.getJob(revokeJobIdFor(policy.id, first.versionId))).toBeDefined();
  });

  it('a previous credential the vendor refuses is not restored: the rollback is refused with the reason, and its pending revoke is put back', async () => {
    const opened = await open();
    const { infra, policy, aws, vendor } = opened;
    const first = await rotated(opened);
    const second = await rotated(opened);
    vendor.server.faults.add({ route: vendor.verifyRoute, fault: { kind: 'status', status: 401 }, times: 1 });

    const job = await rolledBack(opened);

    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/rollback refused: .*is no longer live at the vendor/);
    expect((await aws.version(policy.secret.id, 'AWSCURRENT'))?.versionId).toBe(second.versionId);
    const revoke = await infra.queue.getJob(revokeJobIdFor(policy.id, first.versionId));
    expect(await revoke?.getState()).toBe('delayed');
    expect((await infra.records.get(policy.id)).inFlight).toBeUndefined();
  });

  it('when rotor’s own connection is refused too, the credential is not judged dead: the rollback fails on the connection, its pending revoke put back, nothing changed', async () => {
    const opened = await open();
    const { infra, policy, aws, vendor } = opened;
    const first = await rotated(opened);
    const second = await rotated(opened);
    // The check of the credential and the check of the connection both answered 401.
    vendor.server.faults.add({ route: '*', fault: { kind: 'status', status: 401 }, times: 2 });

    const job = await rolledBack(opened);

    expect(await job.getState()).toBe('failed');
    // The connection's own check failed, and that is what the job says: not the credential's death.
    expect(job.failedReason).toMatch(/failed with HTTP 401/);
    expect(job.failedReason).not.toMatch(/no longer live/);
    expect((await aws.version(policy.secret.id, 'AWSCURRENT'))?.versionId).toBe(second.versionId);
    expect(await vendor.accepts(first.credential)).toBe(true);
    const revoke = await infra.queue.getJob(revokeJobIdFor(policy.id, first.versionId));
    expect(await revoke?.getState()).toBe('delayed');
  });

  it('the first rotation after a rollback makes sure the rolled-back credential is revoked, even when the rollback’s job stopped before scheduling it', async () => {
    const opened = await open();
    const { infra, policy, vendor } = opened;
    await rotated(opened);
    const second = await rotated(opened);
    const rollback = await rolledBack(opened);
    const { rolledBack: mark } = await infra.records.get(policy.id);
    // As if the rollback's job had died between its commit and scheduling the revoke.
    await (await infra.queue.getJob(revokeJobIdFor(policy.id, second.versionId)))?.remove();

    await rotated(opened);

    const revoke = await infra.queue.getJob(revokeJobIdFor(policy.id, second.versionId));
    if (!revoke || !mark)
      throw new Error('the rotation after the rollback scheduled no revoke of the rolled-back credential');
    expect(revoke.timestamp + (revoke.opts.delay ?? 0)).toBe(mark.at + GRACE_MS);
    expect(mark.runId).toBe(rollback.id);
    expect(await (await finishedWithin(infra.queue, revoke.id ?? '')).getState()).toBe('completed');
    expect(await vendor.accepts(second.credential)).toBe(false);
  });

  it('a rotation that finds a rollback whose job died holding the fence finishes the rollback, alerts it, then makes the rotation it was asked for', async () => {
    const opened = await open();
    const { infra, policy, aws, vendor, receiver } = opened;
    const first = await rotated(opened);
    const second = await rotated(opened);
    const before = await infra.records.get(policy.id);
    const previous = before.previous;
    if (!previous) throw new Error('no previous credential after two rotations');
    // What a rollback job leaves when it dies right after taking the fence: its pending revoke cancelled, its
    // run in flight at the verified checkpoint, owned by a job that holds no lock any more.
    await (await infra.queue.getJob(revokeJobIdFor(policy.id, first.versionId)))?.remove();
    const rollbackRun = rollbackRunId(policy.id, Date.now());
    await infra.records.update(policy.id, (record) => ({
      ...record,
      inFlight: {
        runId: rollbackRun,
        trigger: 'rollback',
        issueAttempt: 0,
        step: 'verified',
        startedAt: Date.now(),
        handle: previous.handle,
        versionId: previous.versionId,
        baseVersionId: second.versionId,
        owner: rollbackRun,
      },
    }));

    const third = await rotated(opened);

    expect(third.versionId).not.toBe(first.versionId);
    expect(await vendor.accepts(third.credential)).toBe(true);
    const history = await infra.history.recent(policy.id, 2);
    expect(history.map((entry) => [entry.trigger, entry.versionId])).toEqual([
      ['manual', third.versionId],
      ['rollback', first.versionId],
    ]);
    const record = await infra.records.get(policy.id);
    expect(record.previous?.versionId).toBe(first.versionId);
    expect(await infra.queue.getJob(revokeJobIdFor(policy.id, second.versionId))).toBeDefined();
    expect(await infra.queue.getJob(revokeJobIdFor(policy.id, first.versionId))).toBeDefined();
    const alert = await eventually('the rotation.rolled_back alert', () => receiver.delivered()[0], WAIT_MS);
    expect(alert).toMatchObject({
      type: 'rotation.rolled_back',
      data: {
        runId: rollbackRun,
        versionId: first.versionId,
        details: { rolledBackVersionId: second.versionId },
      },
    });
    expect((await aws.version(policy.secret.id, 'AWSPREVIOUS'))?.versionId).toBe(first.versionId);
  });

  it('a hand edit of AWSCURRENT while the rollback holds the fence: AWS refuses its promote, nothing is rolled back, the credential it was restoring gets its revoke back', async () => {
    const opened = await open();
    const { world, infra, policy, aws, vendor } = opened;
    const first = await rotated(opened);
    const second = await rotated(opened);
    // The promote is held long enough for a hand edit to come first.
    world.aws.server.faults.add({
      route: 'UpdateSecretVersionStage',
      fault: { kind: 'delay', delayMs: 3_000 },
      times: 1,
    });
    const requested = await requestRollback(infra.queue, policy, await infra.records.get(policy.id), {
      nowMs: Date.now(),
    });
    if (requested.kind === 'refused') throw new Error(requested.reason);
    await eventually(
      'the rollback to hold the fence',
      async () => ((await infra.records.get(policy.id)).inFlight?.trigger === 'rollback' ? true : undefined),
      WAIT_MS,
    );
    const handEdit = await aws.put(policy.secret.id, second.credential, ['AWSCURRENT']);

    const job = await finishedWithin(infra.queue, requested.jobId);

    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toContain(`AWSCURRENT is ${handEdit}`);
    expect((await aws.version(policy.secret.id, 'AWSCURRENT'))?.versionId).toBe(handEdit);
    const record = await infra.records.get(policy.id);
    expect(record.inFlight).toBeUndefined();
    expect(record.rolledBack).toBeUndefined();
    expect(await infra.queue.getJobState(revokeJobIdFor(policy.id, first.versionId))).toBe('delayed');
    expect(await vendor.accepts(first.credential)).toBe(true);
  });
});
