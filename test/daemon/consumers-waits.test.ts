import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { scheduledRunId } from '../../src/domain/ids.js';
import { JOB, revokeJobIdFor } from '../../src/queue/job-payloads.js';
import { ROTOR_LABEL } from '../../src/sinks/sink.js';
import { startCloudflareFixture } from '../providers/cloudflare.fixture.js';
import { startTagoioFixture } from '../providers/tagoio.fixture.js';
import { runCli } from '../support/cli-run.js';
import { type ConsumerService, startConsumerService } from '../support/consumer-service.js';
import { Scene, type SceneSections } from '../support/daemon-scene.js';
import { eventually } from '../support/eventually.js';
import { finishedJob } from '../support/finished-job.js';
import { freePort } from '../support/free-port.js';
import type { ProviderFixture } from '../support/provider-fixture.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';

const REVOKE_WAITS = '"msg":"revoke waits for consumers to confirm the new version"';
const RUN_WAITS = '"msg":"scheduled run waits';
// Short locks: a restarted daemon takes over a killed one's job within seconds.
const WORKER = 'lockDuration: 2s\nstalledInterval: 1s\nmaxStalledCount: 3';

/** A policy entry of `world.policy` with more keys (YAML lines at the entry's own indentation). */
const withKeys = (entry: string, ...lines: string[]) =>
  [entry, ...lines.map((line) => `  ${line}`)].join('\n');

const pollConsumer = (name: string, service: ConsumerService) =>
  `  - { name: ${name}, confirm: { poll: "${service.versionUrl}", every: 500ms } }`;

const occurrences = (text: string, part: string) => text.split(part).length - 1;

/** Opens a world and a scene on it with the entries `policies` gives; the scene (and world) closes after `body`. */
async function inScene(
  start: () => Promise<ProviderFixture>,
  policies: (world: ProviderWorld) => Promise<string[]>,
  body: (scene: Scene) => Promise<void>,
  sections: SceneSections = {},
  secretEnv: Readonly<Record<string, string>> = {},
): Promise<void> {
  const world = await startProviderWorld(start);
  let scene: Scene | undefined;
  try {
    scene = await Scene.open(world, await policies(world), sections, secretEnv);
    await body(scene);
  } finally {
    await (scene ? scene.close() : world.close());
  }
}

/** Two rotations: the second displaces the first's version. Returns both AWS version ids. */
async function displaceOnce(scene: Scene, policy: PolicyConfig, before?: (first: string) => void) {
  await scene.rotate(policy);
  const displaced = (await scene.awsVersion(policy, 'AWSCURRENT'))?.versionId ?? '';
  before?.(displaced);
  await scene.rotate(policy);
  const current = (await scene.awsVersion(policy, 'AWSCURRENT'))?.versionId ?? '';
  expect(current).not.toBe(displaced);
  return { displaced, current };
}

async function revokeWaiting(scene: Scene, jobId: string): Promise<void> {
  await eventually(`${jobId} to wait for the consumers`, async () =>
    scene.daemon?.output().includes(REVOKE_WAITS) &&
    (await scene.infra.queue.getJobState(jobId)) === 'delayed'
      ? true
      : undefined,
  );
}

/** When the last waiting revoke said it would look again (its log line's `until`). */
function waitsUntil(output: string): string {
  const line = output.split('\n').findLast((candidate) => candidate.includes(REVOKE_WAITS));
  return (JSON.parse(line ?? '{}') as { until?: string }).until ?? '';
}

async function pendingRotations(scene: Scene, policyId: string) {
  const jobs = await scene.infra.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized']);
  return jobs.filter((job) => job.name === JOB.rotate && job.data.policyId === policyId);
}

describe('revokes that wait for consumers', () => {
  it('a daemon SIGKILLed while its revoke waits for confirmations resumes waiting, and revokes after the confirmation', async () => {
    const service = await startConsumerService();
    try {
      await inScene(
        startTagoioFixture,
        async (world) => [
          withKeys(
            await world.policy('resumed', { gracePeriod: '1s' }),
            'maxGrace: 1h',
            'consumers:',
            pollConsumer('gateway', service),
          ),
        ],
        async (scene) => {
          const policy = scene.policy('resumed');
          await scene.startDaemon();
          // The consumer loaded the first version and stays on it.
          const { displaced, current } = await displaceOnce(scene, policy, (first) => service.uses(first));
          const revokeJob = revokeJobIdFor(policy.id, displaced);
          await revokeWaiting(scene, revokeJob);

          await scene.stopDaemon('kill');
          const pollsBefore = service.polls.length;
          await scene.startDaemon();
          await revokeWaiting(scene, revokeJob);
          await eventually('the new daemon to poll the consumer', () =>
            service.polls.length > pollsBefore ? true : undefined,
          );
          expect(await scene.accepts(policy, { versionId: displaced })).toBe(true);

          service.uses(current);
          const job = await finishedJob(scene.infra.queue, revokeJob);
          expect(await job.getState(), job.failedReason).toBe('completed');
          expect(await scene.accepts(policy, { versionId: displaced })).toBe(false);
          expect(await scene.accepts(policy, 'AWSCURRENT')).toBe(true);
          expect(await scene.leaks()).toEqual([]);
        },
        { worker: WORKER },
      );
    } finally {
      await service.close();
    }
  });

  it("an ack with the consumer's token wakes the waiting revoke; an API token cannot ack", async () => {
    const port = await freePort();
    const apiToken = randomBytes(32).toString('base64url');
    const ackToken = randomBytes(32).toString('base64url');
    await inScene(
      startTagoioFixture,
      async (world) => [
        withKeys(
          await world.policy('acked', { gracePeriod: '1s' }),
          'maxGrace: 1h',
          'consumers:',
          '  - { name: batch, confirm: { ack: { env: WAITS_ACK_TOKEN } } }',
        ),
      ],
      async (scene) => {
        const policy = scene.policy('acked');
        await scene.startDaemon();
        const { displaced, current } = await displaceOnce(scene, policy);
        const revokeJob = revokeJobIdFor(policy.id, displaced);
        await revokeWaiting(scene, revokeJob);
        // An ack-only consumer is looked at again a minute later: a revoke done before then was woken.
        const recheckAt = Date.parse(waitsUntil(scene.daemon?.output() ?? ''));
        expect(recheckAt).toBeGreaterThan(Date.now());
        const ack = (token: string) =>
          fetch(`http://127.0.0.1:${port}/v1/policies/${policy.id}/versions/${current}/ack`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}` },
          });

        const refused = await ack(apiToken);
        expect(refused.status).toBe(401);
        expect((await scene.infra.consumers.read(policy.id)).confirmations.size).toBe(0);
        expect(await scene.infra.queue.getJobState(revokeJob)).toBe('delayed');
        expect(await scene.accepts(policy, { versionId: displaced })).toBe(true);

        const acked = await ack(ackToken);
        expect(acked.status).toBe(200);
        expect(await acked.json()).toMatchObject({
          policyId: policy.id,
          consumer: 'batch',
          versionId: current,
        });
        const job = await finishedJob(scene.infra.queue, revokeJob);
        expect(await job.getState(), job.failedReason).toBe('completed');
        expect(job.finishedOn).toBeLessThan(recheckAt);
        expect(await scene.accepts(policy, { versionId: displaced })).toBe(false);
        expect(await scene.leaks()).toEqual([]);
      },
      { api: `host: 127.0.0.1\nport: ${port}\ntokens:\n  - { env: WAITS_API_TOKEN }` },
      { WAITS_API_TOKEN: apiToken, WAITS_ACK_TOKEN: ackToken },
    );
  });

  it('while a displaced credential is held, a scheduled run waits and starts when the hold is released; rotor rotate refuses without --force and rotates with it', async () => {
    const service = await startConsumerService();
    // A consumer stuck on a version rotor never made: it confirms nothing.
    service.uses(randomUUID());
    try {
      await inScene(
        startTagoioFixture,
        async (world) => [
          withKeys(
            await world.policy('held', { schedule: '{ every: 3s }', gracePeriod: '1s' }),
            'maxGrace: 1s',
            'onUnconfirmed: hold',
            'consumers:',
            pollConsumer('gateway', service),
          ),
        ],
        async (scene) => {
          const policy = scene.policy('held');
          const states = () => scene.infra.consumers.read(policy.id);
          await scene.startDaemon();
          const [held] = await eventually('a displaced credential to be held', async () => {
            const { held: versions } = await states();
            return versions.length > 0 ? versions : undefined;
          });
          const heldVersion = held?.versionId ?? '';
          expect((await scene.awsVersions(policy)).get(heldVersion)).toContain(ROTOR_LABEL.held(heldVersion));
          expect(await scene.accepts(policy, { versionId: heldVersion })).toBe(true);

          // Settled: the run that displaced it (and any that raced the hold) finished; no other is pending.
          await eventually('no rotation pending or running', async () =>
            (await pendingRotations(scene, policy.id)).length === 0 &&
            (await scene.infra.records.get(policy.id)).inFlight === undefined
              ? true
              : undefined,
          );
          const runs = (await scene.infra.history.recent(policy.id)).length;
          const waited = occurrences(scene.daemon?.output() ?? '', RUN_WAITS);
          await eventually('the next scheduled firing', () =>
            occurrences(scene.daemon?.output() ?? '', RUN_WAITS) > waited ? true : undefined,
          );
          expect(await pendingRotations(scene, policy.id)).toEqual([]);
          expect(await scene.infra.history.recent(policy.id)).toHaveLength(runs);
          const dueMs = (await states()).runWaitingDueMs;
          expect(dueMs).toBeDefined();

          // rotor rotate refuses without --force (nothing requested), and rotates with it, recorded as forced.
          const configFile = join(scene.workDir, 'rotor.yaml');
          const refused = await runCli(configFile, scene.env, 'rotate', policy.id);
          expect(refused.code).toBe(4);
          expect(refused.stderr).toContain(`version ${heldVersion} of secret ${policy.secret.id} is held`);
          expect(await pendingRotations(scene, policy.id)).toEqual([]);
          const forced = await runCli(configFile, scene.env, 'rotate', policy.id, '--force', '--wait');
          expect(forced.code, forced.stderr).toBe(0);
          const afterForce = await scene.infra.history.recent(policy.id);
          expect(afterForce).toHaveLength(runs + 1);
          expect(afterForce[0]).toMatchObject({ trigger: 'manual', outcome: 'succeeded', forced: true });
          expect((await states()).runWaitingDueMs).toBe(dueMs);

          const heldBefore = (await states()).held.map((version) => version.versionId);
          service.uses((await scene.awsVersion(policy, 'AWSCURRENT'))?.versionId);
          const waitedRun = await finishedJob(scene.infra.queue, scheduledRunId(policy.id, dueMs ?? 0));
          expect(await waitedRun.getState(), waitedRun.failedReason).toBe('completed');
          expect((await states()).held.filter((version) => heldBefore.includes(version.versionId))).toEqual(
            [],
          );
          for (const versionId of [heldVersion, ...heldBefore]) {
            expect(await scene.accepts(policy, { versionId })).toBe(false);
            expect((await scene.awsVersions(policy)).get(versionId) ?? []).not.toContain(
              ROTOR_LABEL.held(versionId),
            );
          }
          const history = await scene.infra.history.recent(policy.id);
          expect(history.find((entry) => entry.runId === waitedRun.id)).toMatchObject({
            trigger: 'schedule',
            outcome: 'succeeded',
          });
        },
      );
    } finally {
      await service.close();
    }
  });

  it('native-grace (Cloudflare rotate): consumers that have not confirmed are alerted before the old secret dies; those that confirmed are not', async () => {
    const behind = await startConsumerService();
    const following = await startConsumerService();
    try {
      await inScene(
        startCloudflareFixture,
        async (world) => [
          withKeys(
            await world.policy('behind', { gracePeriod: '8s' }),
            'consumers:',
            pollConsumer('edge', behind),
          ),
          withKeys(
            await world.policy('following', { gracePeriod: '8s' }),
            'consumers:',
            pollConsumer('edge', following),
          ),
        ],
        async (scene) => {
          const lagging = scene.policy('behind');
          const confirming = scene.policy('following');
          await scene.startDaemon();
          const { displaced } = await displaceOnce(scene, lagging, (first) => behind.uses(first));
          await scene.rotate(confirming);
          await scene.rotate(confirming);
          const followed = (await scene.awsVersion(confirming, 'AWSCURRENT'))?.versionId ?? '';
          following.uses(followed);

          const [alert] = await eventually('the consumers.unconfirmed alert', () => {
            const alerts = scene.alerts('consumers.unconfirmed');
            return alerts.length > 0 ? alerts : undefined;
          });
          // The old secret still works when the alert arrives: the consumer can still switch.
          expect(await scene.accepts(lagging, { versionId: displaced })).toBe(true);
          const data = alert?.data ?? {};
          expect(data).toMatchObject({
            policyId: lagging.id,
            type: 'consumers.unconfirmed',
            details: { outcome: 'expires', unconfirmed: 'edge', displacedVersionId: displaced },
          });
          const details = data.details as { expiresAt: string };
          expect(Date.parse(String(data.time))).toBeLessThan(Date.parse(details.expiresAt));

          const check = await finishedJob(scene.infra.queue, `consumers-check-${confirming.id}-${followed}`);
          expect(check.returnvalue).toBe('confirmed');
          expect(
            scene.alerts('consumers.unconfirmed').filter((sent) => sent.data.policyId === confirming.id),
          ).toEqual([]);
          expect(await scene.leaks()).toEqual([]);
        },
      );
    } finally {
      await behind.close();
      await following.close();
    }
  });
});
