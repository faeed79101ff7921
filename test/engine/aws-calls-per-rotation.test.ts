import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualRunId } from '../../src/domain/ids.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { type EngineWorld, openEngineWorld } from '../support/engine-world.js';
import { memoryLogger } from '../support/memory-log.js';

const AWS_WRITES = new Set(['CreateSecret', 'PutSecretValue', 'UpdateSecretVersionStage', 'TagResource']);

describe.each(providerFixtures)('%s: what one rotation asks of AWS', (_name, start) => {
  let engine: EngineWorld;

  beforeAll(async () => {
    engine = await openEngineWorld(start, [{ id: 'counted' }], memoryLogger().log);
  });

  afterAll(async () => {
    await engine?.close();
  });

  /** The AWS calls of one rotation, by operation, in order. */
  async function callsOfOneRotation(): Promise<{ reads: string[]; writes: string[] }> {
    const { aws } = engine.world;
    aws.server.calls.clear();
    await engine.rotate('counted', manualRunId('counted', Date.now()));
    const routes = aws.server.calls.all().map((call) => call.routeId);
    return {
      reads: routes.filter((route) => !AWS_WRITES.has(route)),
      writes: routes.filter((route) => AWS_WRITES.has(route)),
    };
  }

  it('reads AWS once — the current value where the action uses it, else the description — and writes the version and its two label moves', async () => {
    const policy = engine.policy('counted');
    const readsCurrent = policy.connection.provider.actions[policy.action]?.readsCurrent;
    // The first rotation may create or take over the secret; from the second on, a rotation is steady.
    await callsOfOneRotation();

    const { reads, writes } = await callsOfOneRotation();

    expect(reads).toEqual([readsCurrent ? 'GetSecretValue' : 'DescribeSecret']);
    expect(writes).toEqual(['PutSecretValue', 'UpdateSecretVersionStage', 'UpdateSecretVersionStage']);
  });
});
