import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { revokeJobIdFor } from '../../src/queue/job-payloads.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { startTelenorFixture } from '../providers/telenor.fixture.js';
import { eventually } from '../support/eventually.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

let world: ProviderWorld;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let infra: RedisInfrastructure;
let daemon: Daemon | undefined;
let policy: PolicyConfig;

beforeAll(async () => {
  world = await startProviderWorld(startTelenorFixture);
  receiver = await startWebhookReceiver(world.env.WORLD_WEBHOOK_SECRET);
  const entry = await world.policy('revoked-late', {
    gracePeriod: '200ms',
    retry: '{ attempts: 2, backoff: 100ms, maxBackoff: 100ms }',
  });
  const alerts = `endpoints:\n  - { name: ops, url: "${receiver.url}", secret: { env: WORLD_WEBHOOK_SECRET }, events: [revocation.failed] }`;
  const config = await world.config([entry], { alerts });
  policy = config.policies[0] as PolicyConfig;
  infra = connectRedis(config);
  daemon = await startDaemon(config, { log: memoryLogger().log });
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  await receiver?.close();
  await world?.close();
});

async function rotate(): Promise<void> {
  const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
  expect(await (await finishedJob(infra.queue, jobId)).getState()).toBe('completed');
}

describe('revocation.failed', () => {
  it('fires when the displaced credential cannot be revoked after its retries: it is still live', async () => {
    await rotate();
    const displaced = JSON.parse(world.aws.store.valueOf(policy.secret.id) ?? 'null') as unknown;
    world.fixture.server.faults.add({ route: 'deleteToken', fault: { kind: 'status', status: 500 } });
    await rotate();
    const displacedVersion = (await infra.records.get(policy.id)).previous?.versionId ?? '';

    const revoke = await finishedJob(infra.queue, revokeJobIdFor(policy.id, displacedVersion));
    expect(await revoke.getState()).toBe('failed');
    expect(revoke.attemptsMade).toBe(2);
    const [alert] = await eventually('the revocation alert', () => {
      const delivered = receiver.delivered() as { type: string; data: Record<string, unknown> }[];
      return delivered.length > 0 ? delivered : undefined;
    });
    expect(alert).toMatchObject({
      type: 'revocation.failed',
      data: {
        policyId: 'revoked-late',
        provider: 'telenor',
        step: 'revoke',
        versionId: displacedVersion,
        error: { kind: 'transient', message: expect.stringMatching(/delete token failed with HTTP 500/) },
      },
    });
    expect(await world.fixture.accepts(displaced)).toBe(true);
  });
});
