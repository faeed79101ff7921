import { afterAll, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerts/alert-publisher.js';
import { StateWatch } from '../../src/daemon/state-watch.js';
import { systemClock } from '../../src/lib/clock.js';
import { GenerationMarker } from '../../src/state/generation-marker.js';
import { stateKeys } from '../../src/state/redis-keys.js';
import { memoryLogger } from '../support/memory-log.js';
import { testRedis } from '../support/redis.js';

const { redis, prefix, cleanup } = testRedis();
afterAll(cleanup);

/** Two replicas' watches on one Redis, with the alerts they publish and the recoveries they run. */
function replicas(count: number) {
  const alerts: AlertInput[] = [];
  const recoveries: (string | undefined)[] = [];
  const logged = memoryLogger();
  const watches: StateWatch[] = [];
  for (let index = 0; index < count; index++) {
    const watch: StateWatch = new StateWatch({
      marker: new GenerationMarker(redis, prefix),
      where: `redis://test prefix ${prefix}`,
      log: logged.log,
      clock: systemClock,
      alerts: { expiringWithinMs: 0, publish: async (event) => void alerts.push(event) },
      // What readiness would say while the recovery runs.
      recover: async () => void recoveries.push(watch.recovering()),
    });
    watches.push(watch);
  }
  return { watches, alerts, recoveries, logged };
}

describe('noticing that Redis lost rotor’s state', () => {
  it('claims one marker for every replica at start: only the first start finds Redis fresh', async () => {
    const { watches } = replicas(2);
    const [first, second] = watches;
    expect(await first?.start()).toBe(true);
    expect(await second?.start()).toBe(false);
    for (const watch of watches) watch.stop();
  });

  it('on a missing marker, every replica recovers once, reports state-recovering meanwhile, and one alerts state.lost', async () => {
    await redis.del(stateKeys.generation(prefix));
    const { watches, alerts, recoveries, logged } = replicas(2);
    for (const watch of watches) await watch.start();
    await redis.del(stateKeys.generation(prefix));

    await Promise.all(watches.map((watch) => watch.check()));
    await Promise.all(watches.map((watch) => watch.check()));

    expect(recoveries).toHaveLength(2);
    for (const reason of recoveries) expect(reason).toMatch(/lost rotor's state/);
    expect(watches.map((watch) => watch.recovering())).toEqual([undefined, undefined]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      type: 'state.lost',
      details: { redis: `redis://test prefix ${prefix}` },
    });
    expect(logged.lines().filter((line) => /lost rotor's state/.test(line))).toHaveLength(2);
    for (const watch of watches) watch.stop();
  });

  it('does nothing while the marker is the one it knows', async () => {
    const { watches, alerts, recoveries } = replicas(1);
    await watches[0]?.start();
    await watches[0]?.check();
    expect({ alerts, recoveries }).toEqual({ alerts: [], recoveries: [] });
    watches[0]?.stop();
  });
});
