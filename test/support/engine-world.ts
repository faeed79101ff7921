import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type RotationWiring, wireRotations } from '../../src/daemon/rotation-deps.js';
import { type RotationResult, runRotation } from '../../src/engine/run-rotation.js';
import { systemClock } from '../../src/lib/clock.js';
import type { Logger } from '../../src/lib/logger.js';
import { policyNamed } from './emulated-world.js';
import type { ProviderFixture } from './provider-fixture.js';
import { type PolicyOptions, type ProviderWorld, startProviderWorld } from './provider-world.js';

/** The engine wired as the daemon wires it, on one provider's world, without a queue in front of it. */
export interface EngineWorld {
  readonly world: ProviderWorld;
  readonly config: RotorConfig;
  readonly infra: RedisInfrastructure;
  readonly wiring: RotationWiring;
  policy(id: string): PolicyConfig;
  /** One run of the policy, as a manual trigger would start it. */
  rotate(policyId: string, runId: string, signal?: AbortSignal): Promise<RotationResult>;
  close(): Promise<void>;
}

export async function openEngineWorld(
  start: () => Promise<ProviderFixture>,
  policies: readonly { readonly id: string; readonly options?: PolicyOptions }[],
  log: Logger,
): Promise<EngineWorld> {
  const world = await startProviderWorld(start);
  const config = await world.config(
    await Promise.all(policies.map(({ id, options }) => world.policy(id, options))),
  );
  const infra = connectRedis(config);
  const wiring = wireRotations(config, infra, { clock: systemClock, log });
  const policy = (id: string) => policyNamed(config, id);
  return {
    world,
    config,
    infra,
    wiring,
    policy,
    rotate: (policyId, runId, signal = new AbortController().signal) =>
      runRotation(wiring.deps, { policy: policy(policyId), runId, trigger: 'manual', signal }),
    async close() {
      wiring.close();
      await infra.close();
      await world.close();
    },
  };
}
