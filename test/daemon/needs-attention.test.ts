import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { JOB } from '../../src/queue/job-payloads.js';
import { policyStatus } from '../../src/queue/policy-status.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { type EmulatedWorld, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { finishedJob } from '../support/finished-job.js';
import { memoryLogger } from '../support/memory-log.js';

let world: EmulatedWorld;
let config: RotorConfig;
let policy: PolicyConfig;
let infra: RedisInfrastructure;
let daemon: Daemon | undefined;

beforeAll(async () => {
  world = await startEmulatedWorld();
  const token = world.cloudflare.seedToken({ name: 'flaky', duration: '8760h' });
  // The secret exists, so nothing runs at start; the schedule fires every second.
  world.aws.store.create({
    name: 'attention/flaky',
    tags: new Map(),
    clientRequestToken: '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9',
    value: { kind: 'string', text: '{}' },
  });
  config = await world.config(`
    - id: flaky
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { every: 1s }
      secret: { id: attention/flaky, adopt: true }
      retry: { attempts: 1, needsAttentionAfter: 2 }
  `);
  policy = config.policies[0] as PolicyConfig;
  infra = connectRedis(config);
  world.cloudflare.server.faults.add({ route: 'rotateServiceToken', fault: { kind: 'status', status: 403 } });
  daemon = await startDaemon(config, { log: memoryLogger().log });
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  await world?.close();
});

const rotateAttempts = () =>
  world.cloudflare.server.calls.all().filter((call) => call.routeId === 'rotateServiceToken');
const skippedTriggers = async () =>
  (await infra.queue.getCompleted(0, -1)).filter(
    (job) => job.name === JOB.trigger && job.returnvalue === 'skipped: the policy needs attention',
  ).length;

describe('needs attention', () => {
  it('after the configured failed runs in a row, scheduled runs stop and status says so', async () => {
    await eventually('needs-attention', async () =>
      (await infra.records.get('flaky')).needsAttentionSince === undefined ? undefined : true,
    );
    await eventually('two skipped scheduled runs', async () =>
      (await skippedTriggers()) >= 2 ? true : undefined,
    );

    expect(rotateAttempts()).toHaveLength(2);
    const status = await policyStatus(infra.queue, policy, await infra.records.get('flaky'));
    expect(status).toMatchObject({ state: 'needs-attention', consecutiveFailures: 2 });
  });

  it('a successful on-demand rotation clears it and the schedule resumes', async () => {
    world.cloudflare.server.faults.clear();
    const { jobId } = await requestRotation(infra.queue, policy, 'manual', { nowMs: Date.now() });
    expect(await (await finishedJob(infra.queue, jobId)).getState()).toBe('completed');

    const record = await infra.records.get('flaky');
    expect(record.needsAttentionSince).toBeUndefined();
    expect(record.consecutiveFailures).toBe(0);
    await eventually('a scheduled rotation after the manual one', async () => {
      const history = await infra.history.recent('flaky');
      return history.some((entry) => entry.trigger === 'schedule' && entry.outcome === 'succeeded')
        ? true
        : undefined;
    });
  });
});
