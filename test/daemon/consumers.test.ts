import { randomBytes } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { providers } from '../../src/providers/registry.js';
import { JOB, type RevokePayload, revokeJobIdFor } from '../../src/queue/job-payloads.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { type ConsumerService, startConsumerService } from '../support/consumer-service.js';
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

const GRACE = '1s';
const MAX_GRACE = '2s';
const MAX_GRACE_MS = 2_000;
const CONSUMER = 'billing-api';
const RELOAD_SECRET_ENV = 'CONSUMER_RELOAD_SECRET';
/** Bounds a broken test's waits below the test timeout, so it fails naming what it waited for. */
const WAIT_MS = 10_000;
const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  eventually(what, probe, WAIT_MS);
const finishedWithin = (queue: Queue, jobId: string) => finishedJob(queue, jobId, WAIT_MS);

interface Scenario {
  readonly world: ProviderWorld;
  readonly vendor: ProviderFixture;
  readonly policy: PolicyConfig;
  readonly infra: RedisInfrastructure;
  readonly aws: AwsSecrets;
  readonly consumer: ConsumerService;
  readonly receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  readonly reloadSecret: string;
  /** The policy as written, and the config text it was loaded from (a test may reload it changed). */
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
  daemon: Daemon;
}

/** A version of the policy's secret: its AWS id and the credential it holds. */
interface Version {
  readonly versionId: string;
  readonly credential: unknown;
}

/** A credential displaced by a second run, while the consumer still uses it. */
interface Displacement {
  readonly first: Version;
  readonly second: Version;
  readonly revokeJobId: string;
  readonly revoke: RevokePayload;
}

const pollingConsumer = (url: string, onUnconfirmed: 'hold' | 'revoke', maxGrace = MAX_GRACE) => `
  maxGrace: ${maxGrace}
  onUnconfirmed: ${onUnconfirmed}
  consumers:
    - name: ${CONSUMER}
      confirm: { poll: "${url}", every: 200ms }
`;

const reloadedConsumer = (url: string) => `
  consumers:
    - name: ${CONSUMER}
      reload: { url: "${url}", secret: { env: ${RELOAD_SECRET_ENV} } }
`;

describe.each(overlapProviders)('%s: consumers through the daemon', (_providerId, startFixture) => {
  let scenario: Scenario | undefined;

  /** A world, a consumer service, an alert receiver, one policy whose consumers `extra` declares, a daemon. */
  async function open(extra: (consumer: ConsumerService) => string): Promise<Scenario> {
    const world = await startProviderWorld(startFixture);
    const consumer = await startConsumerService();
    const receiver = await startWebhookReceiver(world.env.WORLD_WEBHOOK_SECRET);
    const reloadSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const entry = await world.policy('consumers', {
      gracePeriod: GRACE,
      retry: '{ attempts: 4, backoff: 100ms, maxBackoff: 200ms }',
      extra: extra(consumer),
    });
    const alerts = `endpoints:\n  - { name: ops, url: "${receiver.url}", secret: { env: WORLD_WEBHOOK_SECRET }, events: [consumers.unconfirmed] }`;
    const env = { ...world.env, [RELOAD_SECRET_ENV]: reloadSecret };
    const config = await loadWorldConfig(world.yaml([entry], { alerts }), env);
    const policy = config.policies[0] as PolicyConfig;
    expect(policy.capability).toBe('overlap');
    scenario = {
      world,
      vendor: world.fixture,
      policy,
      infra: connectRedis(config),
      aws: new AwsSecrets(world.aws.client),
      consumer,
      receiver,
      reloadSecret,
      entry,
      env,
      daemon: await startDaemon(config, { log: memoryLogger('info').log }),
    };
    return scenario;
  }

  afterEach(async () => {
    await scenario?.daemon.stop();
    await scenario?.infra.close();
    scenario?.aws.close();
    await scenario?.consumer.close();
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

  /** Two runs; the consumer says it uses the first one's version, which the second displaces. */
  async function displaced(opened: Scenario): Promise<Displacement> {
    const first = await rotated(opened);
    opened.consumer.uses(first.versionId);
    const second = await rotated(opened);
    const revokeJobId = revokeJobIdFor(opened.policy.id, first.versionId);
    const job = await opened.infra.queue.getJob(revokeJobId);
    if (!job) throw new Error('the second run scheduled no revoke of the displaced credential');
    return { first, second, revokeJobId, revoke: job.data as RevokePayload };
  }

  /** The labels of one version at AWS, listed with the official SDK (ListSecretVersionIds). */
  const labelsOf = async ({ aws, policy }: Scenario, versionId: string) =>
    (await aws.versions(policy.secret.id)).find((version) => version.versionId === versionId)?.stages ?? [];

  /** A displacement past maxGrace, held: the displaced version labelled `rotor-held-<version>` at AWS. */
  async function heldDisplacement(opened: Scenario): Promise<Displacement> {
    const displacement = await displaced(opened);
    const label = `rotor-held-${displacement.first.versionId}`;
    await waitFor('the displaced version to be labelled held at AWS', async () =>
      (await labelsOf(opened, displacement.first.versionId)).includes(label) ? true : undefined,
    );
    return displacement;
  }

  const unconfirmedAlerts = ({ receiver }: Scenario) =>
    receiver.delivered().filter((alert) => (alert as { type?: string }).type === 'consumers.unconfirmed');

  const revokeCalls = ({ vendor }: Scenario) => vendor.server.calls.handled(vendor.revokeRoute ?? '').length;

  const unfinished = async ({ infra }: Scenario, jobId: string) =>
    !['completed', 'failed'].includes(await infra.queue.getJobState(jobId));

  it('a consumer that confirms after a delay: the revoke happens after the confirmation, not before', async () => {
    const opened = await open((consumer) => pollingConsumer(consumer.versionUrl, 'hold', '30s'));
    const { consumer, vendor, infra } = opened;
    const { first, second, revokeJobId } = await displaced(opened);
    const revokeJob = await infra.queue.getJob(revokeJobId);
    const dueAt = (revokeJob?.timestamp ?? 0) + (revokeJob?.opts.delay ?? 0);

    // The grace has passed: the revoke has asked the consumer, which still uses the displaced version.
    await waitFor('the revoke to ask the consumer twice', () =>
      consumer.polls.length >= 2 ? true : undefined,
    );
    expect(consumer.polls[0]).toBeGreaterThanOrEqual(dueAt);
    expect(await unfinished(opened, revokeJobId)).toBe(true);
    expect(revokeCalls(opened)).toBe(0);
    expect(await vendor.accepts(first.credential)).toBe(true);

    const switchedAt = Date.now();
    consumer.uses(second.versionId);
    const job = await finishedWithin(infra.queue, revokeJobId);

    expect(await job.getState()).toBe('completed');
    expect(job.finishedOn).toBeGreaterThanOrEqual(switchedAt);
    // Waiting spent no attempt: the one made is the one that revoked.
    expect(job.attemptsMade).toBe(1);
    expect(revokeCalls(opened)).toBe(vendor.revokeCalls ?? 1);
    expect(await vendor.accepts(first.credential)).toBe(false);
    expect(await vendor.accepts(second.credential)).toBe(true);
  });

  it('a consumer that never confirms, onUnconfirmed hold: the displaced credential stays live after maxGrace, labelled held at AWS, and consumers.unconfirmed is alerted', async () => {
    const opened = await open((consumer) => pollingConsumer(consumer.versionUrl, 'hold'));
    const { consumer, vendor, infra, policy } = opened;
    const { first, second, revokeJobId, revoke } = await heldDisplacement(opened);

    const { held } = await infra.consumers.read(policy.id);
    expect(held).toEqual([
      {
        versionId: first.versionId,
        handle: revoke.handle,
        since: expect.any(Number),
        unconfirmed: [CONSUMER],
      },
    ]);
    expect(held[0]?.since).toBeGreaterThanOrEqual((revoke.displacedAt ?? 0) + MAX_GRACE_MS);
    expect(await vendor.accepts(first.credential)).toBe(true);
    const alert = await waitFor('the consumers.unconfirmed alert', () => unconfirmedAlerts(opened)[0]);
    expect(alert).toMatchObject({
      type: 'consumers.unconfirmed',
      data: {
        policyId: policy.id,
        versionId: second.versionId,
        details: { outcome: 'held', displacedVersionId: first.versionId, unconfirmed: CONSUMER },
      },
    });

    // It keeps waiting for the consumer: asked again and again, the credential live, the alert sent once.
    const asked = consumer.polls.length;
    await waitFor('the held revoke to ask the consumer again', () =>
      consumer.polls.length >= asked + 3 ? true : undefined,
    );
    expect(await unfinished(opened, revokeJobId)).toBe(true);
    expect(revokeCalls(opened)).toBe(0);
    expect(await vendor.accepts(first.credential)).toBe(true);
    expect(unconfirmedAlerts(opened)).toHaveLength(1);
  });

  it('a consumer that never confirms, onUnconfirmed revoke: the displaced credential is revoked after maxGrace, and consumers.unconfirmed is alerted as revoked', async () => {
    const opened = await open((consumer) => pollingConsumer(consumer.versionUrl, 'revoke'));
    const { vendor, infra, policy } = opened;
    const { first, second, revokeJobId, revoke } = await displaced(opened);

    const job = await finishedWithin(infra.queue, revokeJobId);

    expect(await job.getState()).toBe('completed');
    expect(job.finishedOn).toBeGreaterThanOrEqual((revoke.displacedAt ?? 0) + MAX_GRACE_MS);
    expect(await vendor.accepts(first.credential)).toBe(false);
    expect(await vendor.accepts(second.credential)).toBe(true);
    expect(
      (await labelsOf(opened, first.versionId)).filter((label) => label.startsWith('rotor-held-')),
    ).toEqual([]);
    expect((await infra.consumers.read(policy.id)).held).toEqual([]);
    const alert = await waitFor('the consumers.unconfirmed alert', () => unconfirmedAlerts(opened)[0]);
    expect(alert).toMatchObject({
      type: 'consumers.unconfirmed',
      data: {
        policyId: policy.id,
        details: { outcome: 'revoked', displacedVersionId: first.versionId, unconfirmed: CONSUMER },
      },
    });
  });

  it('a held credential survives the orphan sweep and a forged revoke', async () => {
    const opened = await open((consumer) => pollingConsumer(consumer.versionUrl, 'hold'));
    const { vendor, infra, policy } = opened;
    const { first, second, revoke } = await heldDisplacement(opened);
    // A third run takes the held version out of rotor's record: only its label at AWS still holds it.
    await rotated(opened);
    expect((await infra.records.get(policy.id)).previous?.versionId).toBe(second.versionId);

    const sweep = await finishedWithin(infra.queue, (await infra.queue.add(JOB.orphanSweep, {})).id ?? '');

    expect(await sweep.getState()).toBe('completed');
    expect(sweep.returnvalue).toBe('orphans deleted: 0, failed: 0');
    expect(await vendor.accepts(first.credential)).toBe(true);

    const forgedAt = Date.now();
    const forged: RevokePayload = { policyId: policy.id, handle: revoke.handle, versionId: first.versionId };
    const forgedId = `forged-revoke-${forgedAt}`;
    await infra.queue.add(JOB.revoke, forged, { jobId: forgedId });
    // Past its own maxGrace the forged job meets the hold, and keeps waiting for the consumer.
    await waitFor('the forged revoke to be looked at past its maxGrace', async () => {
      const job: Job | undefined = await infra.queue.getJob(forgedId);
      return (job?.processedOn ?? 0) >= forgedAt + MAX_GRACE_MS ? true : undefined;
    });

    expect(await unfinished(opened, forgedId)).toBe(true);
    expect(revokeCalls(opened)).toBe(0);
    expect(await vendor.accepts(first.credential)).toBe(true);
    expect(await labelsOf(opened, first.versionId)).toContain(`rotor-held-${first.versionId}`);
  });

  it('a held credential is released and revoked when the consumer confirms later', async () => {
    const opened = await open((consumer) => pollingConsumer(consumer.versionUrl, 'hold'));
    const { consumer, vendor, infra, policy } = opened;
    const { first, second, revokeJobId } = await heldDisplacement(opened);

    const confirmedAt = Date.now();
    consumer.uses(second.versionId);
    const job = await finishedWithin(infra.queue, revokeJobId);

    expect(await job.getState()).toBe('completed');
    expect(job.finishedOn).toBeGreaterThanOrEqual(confirmedAt);
    expect(await vendor.accepts(first.credential)).toBe(false);
    expect(await vendor.accepts(second.credential)).toBe(true);
    expect(await labelsOf(opened, first.versionId)).not.toContain(`rotor-held-${first.versionId}`);
    expect((await infra.consumers.read(policy.id)).held).toEqual([]);
  });

  it('a held credential is released and revoked when its confirming consumer is removed from the config', async () => {
    const opened = await open((consumer) => pollingConsumer(consumer.versionUrl, 'hold'));
    const { vendor, infra, policy, world } = opened;
    const { first, second, revokeJobId } = await heldDisplacement(opened);
    expect(await vendor.accepts(first.credential)).toBe(true);

    // The operator drops the consumer (and what only it needed) and restarts rotor on the changed config.
    const withoutConsumer = opened.entry
      .split('\n')
      .filter((line) => !/^\s*(maxGrace|onUnconfirmed|consumers):|^\s*- name: |^\s*confirm: /.test(line))
      .join('\n');
    expect(withoutConsumer).not.toContain(CONSUMER);
    const changed = await loadWorldConfig(world.yaml([withoutConsumer]), opened.env);
    await opened.daemon.stop();
    opened.daemon = await startDaemon(changed, { log: memoryLogger('info').log });
    const job = await finishedWithin(infra.queue, revokeJobId);

    expect(await job.getState(), job.failedReason).toBe('completed');
    expect(await vendor.accepts(first.credential)).toBe(false);
    expect(await vendor.accepts(second.credential)).toBe(true);
    expect(await labelsOf(opened, first.versionId)).not.toContain(`rotor-held-${first.versionId}`);
    expect((await infra.consumers.read(policy.id)).held).toEqual([]);
  });

  it('the reload hook’s message verifies with the standardwebhooks library and carries ids only', async () => {
    const opened = await open((consumer) => reloadedConsumer(consumer.reloadUrl));
    const { consumer, world, policy, infra } = opened;

    const promoted = await rotated(opened);
    const call = await waitFor('the reload hook to be called', () => consumer.reloads[0]);

    const message = new Webhook(opened.reloadSecret).verify(call.body, call.headers);
    expect(message).toEqual({
      type: 'secret.rotated',
      timestamp: expect.any(String),
      data: {
        policyId: policy.id,
        consumer: CONSUMER,
        secretId: policy.secret.id,
        secretArn: expect.stringContaining(policy.secret.id),
        versionId: promoted.versionId,
      },
    });
    expect(call.headers['webhook-id']).toBe(`msg_reload_${promoted.versionId}_${CONSUMER}`);
    const secrets = [
      ...world.secrets(),
      opened.reloadSecret,
      ...policy.connection.provider.secretsOf(promoted.credential),
    ].filter((secret) => secret.length > 0);
    for (const secret of secrets) expect(call.body).not.toContain(secret);
    await waitFor('the reload to be recorded', async () =>
      (await infra.consumers.read(policy.id)).reloads.get(CONSUMER),
    );
    expect((await infra.consumers.read(policy.id)).reloads.get(CONSUMER)).toMatchObject({
      versionId: promoted.versionId,
      outcome: 'reloading',
    });
  });
});
