import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type RotationWiring, wireRotations } from '../../src/daemon/rotation-deps.js';
import { manualRunId } from '../../src/domain/ids.js';
import { runRotation } from '../../src/engine/run-rotation.js';
import { Journal } from '../../src/state/journal.js';
import { type EmulatedWorld, startEmulatedWorld } from '../support/emulated-world.js';
import { memoryLogger } from '../support/memory-log.js';
import { rotationFailure } from '../support/rotation-failure.js';

let world: EmulatedWorld;
let policies: string;
const newKey = randomBytes(32).toString('base64');
const opened: { infra: RedisInfrastructure; wiring: RotationWiring }[] = [];

async function configWith(journal: string): Promise<RotorConfig> {
  const text = world
    .yaml(policies)
    .replace('  keys:\n    k1: { env: ROTOR_JOURNAL_KEY }\n  active: k1', journal);
  const loaded = await loadConfig('rotor.yaml', {
    env: { ...world.env, ROTOR_JOURNAL_KEY_2: newKey },
    readFile: async () => text,
    awsSecretReader: () => {
      throw new Error('unused');
    },
  });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.config;
}

function wire(config: RotorConfig) {
  const infra = connectRedis(config);
  const wiring = wireRotations(config, infra, { clock: { now: () => Date.now() }, log: memoryLogger().log });
  opened.push({ infra, wiring });
  return wiring.deps;
}

beforeAll(async () => {
  world = await startEmulatedWorld();
  const token = world.cloudflare.seedToken({ name: 'keyed', duration: '8760h' });
  policies = `
    - id: keyed
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { manualOnly: true }
      secret: { id: journal/keyed }
  `;
});

afterAll(async () => {
  for (const { infra, wiring } of opened) {
    wiring.close();
    await infra.close();
  }
  await world?.close();
});

describe('journal key rotation', () => {
  it('an entry written under the old key is staged after a new key becomes active, and nothing is issued again', async () => {
    const before = await configWith('  keys:\n    k1: { env: ROTOR_JOURNAL_KEY }\n  active: k1');
    const policy = before.policies[0];
    if (!policy) throw new Error('no policy');
    world.aws.server.faults.add({
      route: 'PutSecretValue',
      fault: { kind: 'status', status: 503 },
      times: 1,
    });
    const run = (deps: ReturnType<typeof wire>) =>
      runRotation(deps, {
        policy,
        runId: manualRunId('keyed', Date.now()),
        trigger: 'manual',
        signal: new AbortController().signal,
      });
    expect((await rotationFailure(run(wire(before)))).details.step).toBe('stage');

    const after = await configWith(
      '  keys:\n    k1: { env: ROTOR_JOURNAL_KEY }\n    k2: { env: ROTOR_JOURNAL_KEY_2 }\n  active: k2',
    );
    expect(after.journal.activeKeyId).toBe('k2');
    const resumed = await run(wire(after));

    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);
    expect(
      world.aws.store.view('journal/keyed').versions.find((v) => v.versionId === resumed.versionId)?.stages,
    ).toEqual(['AWSCURRENT']);
    const journal = new Journal(world.redis, {
      prefix: after.redis.prefix,
      keys: after.journal.keys,
      activeKeyId: after.journal.activeKeyId,
    });
    expect(await journal.get('keyed')).toBeUndefined();
  });
});
