import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type RotationWiring, wireRotations } from '../../src/daemon/rotation-deps.js';
import { manualRunId } from '../../src/domain/ids.js';
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
