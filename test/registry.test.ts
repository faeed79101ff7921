import { describe, expect, it } from 'vitest';
import { bundledEmulators } from '../src/emulation/bundled-emulators.js';
import { providers } from '../src/providers/registry.js';

describe('provider registry', () => {
  it('keys every provider by its own id', () => {
    for (const [key, provider] of Object.entries(providers)) expect(provider.id).toBe(key);
  });

  it('gives every provider schemas, at least one action with a capability, and an emulator', () => {
    for (const provider of Object.values(providers)) {
      expect(provider.schemas.connection).toBeDefined();
      expect(provider.schemas.target).toBeDefined();
      expect(provider.schemas.credential).toBeDefined();
      const actions = Object.values(provider.actions);
      expect(actions.length).toBeGreaterThan(0);
      for (const action of actions)
        expect(['overlap', 'native-grace', 'extend']).toContain(action.capability);
      expect(provider.emulator.name).toBe(provider.id);
    }
  });

  it('gives every overlap provider a revoke step', () => {
    for (const provider of Object.values(providers)) {
      if (Object.values(provider.actions).some((action) => action.capability === 'overlap'))
        expect(provider.revoke).toBeTypeOf('function');
    }
  });

  it('lets exactly the providers that can list what rotor made take part in the orphan sweep', () => {
    for (const provider of Object.values(providers)) {
      expect(provider.listIssued !== undefined, provider.id).toBe(provider.canList);
    }
  });

  it('bundles one emulator per provider plus the sink, with unique names', () => {
    const names = bundledEmulators().map((emulator) => emulator.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([...Object.keys(providers), 'aws']);
  });
});
