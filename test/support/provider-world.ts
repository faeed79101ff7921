import { openProviderWorld, type ProviderWorld } from './open-provider-world.js';
import type { ProviderFixture } from './provider-fixture.js';
import { testRedis } from './redis.js';

export type { PolicyOptions, ProviderWorld, WorldSections } from './open-provider-world.js';

/** A world for one test file: the fixtures' emulators, AWS's, and a prefix of its own on the test Redis. */
export function startProviderWorld(
  ...starts: readonly [() => Promise<ProviderFixture>, ...(() => Promise<ProviderFixture>)[]]
): Promise<ProviderWorld> {
  return openProviderWorld(testRedis(), starts);
}
