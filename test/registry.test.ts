import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { bundledEmulators } from '../src/emulation/bundled-emulators.js';
import { providers } from '../src/providers/registry.js';
import { providerFixtures } from './providers/all-fixtures.js';
import { openProviderWorld } from './support/open-provider-world.js';
import { testRedis } from './support/redis.js';

describe('provider registry', () => {
  it('registers every provider folder under src/providers, by the folder’s name, which is the provider’s id', async () => {
    const folders = (await readdir(new URL('../src/providers/', import.meta.url), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);

    expect(Object.keys(providers).sort()).toEqual(folders.sort());
    for (const [key, provider] of Object.entries(providers)) expect(provider.id).toBe(key);
  });

  it('has a daemon-suite fixture for every provider, and loads a config of each fixture’s emulator through the provider’s own schemas', async () => {
    expect(providerFixtures.map(([id]) => id).sort()).toEqual(Object.keys(providers).sort());
    const world = await openProviderWorld(
      testRedis(),
      providerFixtures.map(([, start]) => start),
    );
    try {
      const entries = await Promise.all(
        world.fixtures.map((fixture) => world.policy(`registry-${fixture.providerId}`, {}, fixture)),
      );

      const config = await world.config(entries);

      for (const fixture of world.fixtures) {
        const policy = config.policies.find((candidate) => candidate.id === `registry-${fixture.providerId}`);
        expect(policy?.connection.provider).toBe(providers[fixture.providerId]);
        expect(policy?.capability).toBe(providers[fixture.providerId]?.actions[fixture.action]?.capability);
      }
    } finally {
      await world.close();
    }
  });

  it('bundles one emulator per provider, named by its id, plus the sink’s, with unique names', () => {
    const names = bundledEmulators().map((emulator) => emulator.name);
    expect(names).toEqual([...Object.keys(providers), 'aws']);
    expect(new Set(names).size).toBe(names.length);
  });
});
