import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type RotationWiring, wireRotations } from '../../src/daemon/rotation-deps.js';
import { manualRunId } from '../../src/domain/ids.js';
import { runRotation } from '../../src/engine/run-rotation.js';
import { systemClock } from '../../src/lib/clock.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { policyNamed } from '../support/emulated-world.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';

const AWS_WRITES = new Set(['CreateSecret', 'PutSecretValue', 'UpdateSecretVersionStage', 'TagResource']);

describe.each(providerFixtures)('%s: what one rotation asks of AWS', (_name, start) => {
  let world: ProviderWorld;
  let config: RotorConfig;
  let infra: RedisInfrastructure;
  let wiring: RotationWiring;

  beforeAll(async () => {
    world = await startProviderWorld(start);
    config = await world.config([await world.policy('counted')]);
    infra = connectRedis(config);
    wiring = wireRotations(config, infra, { clock: systemClock, log: memoryLogger().log });
  });

  afterAll(async () => {
    wiring?.close();
    await infra?.close();
    await world?.close();
  });

  /** The AWS calls of one rotation, by operation, in order. */
  async function callsOfOneRotation(): Promise<{ reads: string[]; writes: string[] }> {
    const policy = policyNamed(config, 'counted');
    world.aws.server.calls.clear();
    await runRotation(wiring.deps, {
      policy,
      runId: manualRunId(policy.id, Date.now()),
      trigger: 'manual',
      signal: new AbortController().signal,
    });
    const routes = world.aws.server.calls.all().map((call) => call.routeId);
    return {
      reads: routes.filter((route) => !AWS_WRITES.has(route)),
      writes: routes.filter((route) => AWS_WRITES.has(route)),
    };
  }

  it('reads AWS once — the current value where the action uses it, else the description — and writes the version and its two label moves', async () => {
    const policy = policyNamed(config, 'counted');
    const readsCurrent = policy.connection.provider.actions[policy.action]?.readsCurrent;
    // The first rotation may create or take over the secret; from the second on, a rotation is steady.
    await callsOfOneRotation();

    const { reads, writes } = await callsOfOneRotation();

    expect(reads).toEqual([readsCurrent ? 'GetSecretValue' : 'DescribeSecret']);
    expect(writes).toEqual(['PutSecretValue', 'UpdateSecretVersionStage', 'UpdateSecretVersionStage']);
  });
});
