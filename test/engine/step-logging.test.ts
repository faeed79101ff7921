import { afterAll, beforeAll, expect, it } from 'vitest';
import { configSecrets } from '../../src/config/config-secrets.js';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type RotationWiring, wireRotations } from '../../src/daemon/rotation-deps.js';
import { manualRunId } from '../../src/domain/ids.js';
import { SecretRedactor } from '../../src/domain/secret-redactor.js';
import { runRotation } from '../../src/engine/run-rotation.js';
import { systemClock } from '../../src/lib/clock.js';
import { startTagoioFixture } from '../providers/tagoio.fixture.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';

let world: ProviderWorld;
let config: RotorConfig;
let infra: RedisInfrastructure;
let wiring: RotationWiring;
const logged = memoryLogger('info');

beforeAll(async () => {
  world = await startProviderWorld(startTagoioFixture);
  config = await world.config([await world.policy('tago-logs', { gracePeriod: '1h' })]);
  infra = connectRedis(config);
  wiring = wireRotations(config, infra, { clock: systemClock, log: logged.log });
});

afterAll(async () => {
  wiring?.close();
  await infra?.close();
  await world?.close();
});

it('a provider logs within its step: its lines carry the policy, the run and the step', async () => {
  const policy = config.policies[0] as PolicyConfig;
  const rotate = (runId: string) =>
    runRotation(wiring.deps, { policy, runId, trigger: 'manual', signal: new AbortController().signal });
  await rotate(manualRunId(policy.id, 1_000));
  const runId = manualRunId(policy.id, 2_000);
  await rotate(runId);

  const lines = logged.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  const created = lines.filter((line) => String(line.msg).startsWith('new TagoIO token created'));
  expect(created).toEqual([
    expect.objectContaining({ policyId: 'tago-logs', provider: 'tagoio', runId, step: 'issue' }),
  ]);
});

it('an unexpected error inside a provider step is logged once, at error level, with its class and a frame of the provider’s file, and no secret', async () => {
  const policy = config.policies[0] as PolicyConfig;
  const redactor = new SecretRedactor();
  redactor.scope().hold(configSecrets(config));
  const captured = memoryLogger('info', redactor);
  const adminToken = world.fixture.env.FIXTURE_TAGOIO_TOKEN ?? '';
  // A bug's error whose message carries the connection's token, thrown where the provider calls its client.
  const deps = {
    ...wiring.deps,
    log: captured.log,
    http: () => () => ({
      send: async () => {
        throw new TypeError(`cannot read properties of undefined (token ${adminToken})`);
      },
    }),
  };

  const failure = await runRotation(deps, {
    policy,
    runId: manualRunId(policy.id, 3_000),
    trigger: 'manual',
    signal: new AbortController().signal,
  }).catch((error: unknown) => error);

  expect(failure).toMatchObject({ kind: 'protocol', message: expect.stringContaining('unexpected failure') });
  const lines = captured.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  const unexpected = lines.filter((line) => line.unexpected !== undefined);
  expect(unexpected).toHaveLength(1);
  expect(unexpected[0]).toMatchObject({
    level: 50,
    policyId: 'tago-logs',
    step: 'issue',
    unexpected: { errorClass: 'TypeError' },
  });
  const frames = (unexpected[0]?.unexpected as { frames?: string[] } | undefined)?.frames ?? [];
  expect(frames.some((frame) => frame.includes('src/providers/tagoio/'))).toBe(true);
  expect(adminToken.length).toBeGreaterThan(16);
  expect(captured.text()).not.toContain(adminToken);
});
