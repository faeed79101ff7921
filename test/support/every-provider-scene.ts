import { randomBytes } from 'node:crypto';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import type { DaemonProcessOptions } from './daemon-process.js';
import { Scene } from './daemon-scene.js';
import { freePort } from './free-port.js';
import { openProviderWorld, type PolicyOptions } from './open-provider-world.js';
import { testRedis } from './redis.js';

const API_TOKEN_ENV = 'SCENE_API_TOKEN';

export interface EveryProviderScene {
  readonly scene: Scene;
  /** One policy per provider, rotated on demand only. */
  readonly policies: readonly PolicyConfig[];
  readonly apiUrl: string;
  /** The bearer token the daemon's API accepts (scanned for leaks with the world's secrets). */
  readonly apiToken: string;
  /** Every secret value of the scene to scan for: each provider's (admin and issued), AWS's, the journal key, the API token, the webhook secret. */
  secrets(): readonly string[];
}

/**
 * Every provider's emulator, AWS's, and a running `rotor start` with its HTTP API and the scene's signed
 * webhook receiver: the whole product, for suites that look at what leaves it.
 */
export async function openEveryProviderScene(
  policy: PolicyOptions,
  daemon: DaemonProcessOptions = {},
): Promise<EveryProviderScene> {
  const world = await openProviderWorld(
    testRedis(),
    providerFixtures.map(([, start]) => start),
  );
  const entries = await Promise.all(
    world.fixtures.map((fixture) => world.policy(`every-${fixture.providerId}`, policy, fixture)),
  );
  const apiToken = randomBytes(24).toString('base64url');
  const port = await freePort();
  const scene = await Scene.open(
    world,
    entries,
    { api: `port: ${port}\ntokens: [{ env: ${API_TOKEN_ENV} }]` },
    { [API_TOKEN_ENV]: apiToken },
  );
  await scene.startDaemon(daemon);
  return {
    scene,
    policies: world.fixtures.map((fixture) => scene.policy(`every-${fixture.providerId}`)),
    apiUrl: `http://127.0.0.1:${port}`,
    apiToken,
    secrets: () => [...world.secrets(), apiToken, world.env.WORLD_WEBHOOK_SECRET ?? ''],
  };
}
