import { connectRedis } from '../../src/daemon/redis-infrastructure.js';
import type { EmulatorServer } from '../../src/emulator-harness/emulator-server.js';
import { startMoovFixture } from '../../test/providers/moov.fixture.js';
import { startTagoioFixture } from '../../test/providers/tagoio.fixture.js';
import type { ProviderFixture } from '../../test/support/provider-fixture.js';
import type { BenchContext } from '../bench-context.js';
import { CompletionWatch, openBenchWorld, requestAll, startRotor } from '../bench-world.js';
import { type Figure, figure } from '../stats.js';

export interface QuotaResult {
  readonly quota: string;
  readonly limit: string;
  readonly rotations: number;
  /** Calls the quota admitted ÷ the most a sliding window admits over the run's span. */
  readonly shareUsed: Figure;
  /** Calls the emulator refused for the quota (rotor then waited them out). */
  readonly throttled: Figure;
  /** Rotations that failed, over all runs: the target is none. */
  readonly failedRotations: number;
}

interface QuotaCase {
  readonly name: string;
  readonly start: () => Promise<ProviderFixture>;
  /** The emulator enforcing the quota under test. */
  readonly server: (world: { aws: { server: EmulatorServer }; fixture: ProviderFixture }) => EmulatorServer;
  /** Rotations per run (full, quick): a slower quota gets fewer, so a run stays about a minute. */
  readonly rotations: readonly [number, number];
  /** A documented quota other than the default one (the vendor's emulator), and rotor's matching limit. */
  readonly vendorQuota?: { readonly name: string; readonly requests: number; readonly rateLimit: string };
}

const CASES: readonly QuotaCase[] = [
  // TagoIO documents no quota, so AWS's write quota is what binds.
  {
    name: 'AWS Secrets Manager writes',
    start: startTagoioFixture,
    server: (world) => world.aws.server,
    rotations: [1_000, 100],
  },
  // A rotation makes two Moov calls and three AWS writes: at Moov's production 40 per second AWS's 50 writes
  // per second bind first (16.7 rotations a second, 33 Moov calls). A Moov test account's documented 10 per
  // second, with the connection's rateLimit set to it as Moov's docs advise, is a quota Moov binds.
  {
    name: 'Moov API, test account',
    start: startMoovFixture,
    server: (world) => world.fixture.server,
    rotations: [300, 20],
    vendorQuota: { name: 'api', requests: 10, rateLimit: '{ requests: 10, per: 1s }' },
  },
];

/**
 * A burst of rotations larger than the quota allows, with the emulators enforcing the vendors' documented
 * quotas and rotor's default limits on: how much of the quota rotor uses, and whether anything fails.
 */
export async function quotas(ctx: BenchContext): Promise<QuotaResult[]> {
  const results: QuotaResult[] = [];
  for (const quotaCase of CASES) {
    const count = quotaCase.rotations[ctx.quick ? 1 : 0];
    const { vendorQuota } = quotaCase;
    const shares: number[] = [];
    const throttled: number[] = [];
    let failedRotations = 0;
    let limit = '';
    ctx.progress(`quotas (${quotaCase.name}): ${ctx.runs} runs of ${count} rotations`);
    for (let run = 0; run < ctx.runs; run++) {
      const world = await openBenchWorld(ctx.redisUrl, [quotaCase.start]);
      try {
        world.aws.server.quotas.configure({ enforce: true });
        world.fixture.server.quotas.configure({
          enforce: true,
          overrides: vendorQuota ? [{ name: vendorQuota.name, requests: vendorQuota.requests }] : [],
        });
        const entries: string[] = [];
        for (let index = 0; index < count; index++) entries.push(await world.policy(`quota-${index}`));
        const config = await world.config(entries, {
          worker: `concurrency: ${ctx.concurrency}`,
          ...(vendorQuota ? { connectionRateLimit: vendorQuota.rateLimit } : {}),
        });
        const infra = connectRedis(config);
        const daemon = await startRotor(config);
        const watch = await CompletionWatch.open(config);
        const ids = await requestAll(infra.queue, config.policies);
        const { failed } = await watch.all(ids);
        failedRotations += failed.length;
        const server = quotaCase.server(world);
        const [quota] = server.quotas.list();
        if (!quota) throw new Error(`${quotaCase.name}: the emulator has no quota`);
        limit = `${quota.requests} per ${quota.perMs} ms`;
        const routes = quota.routes;
        const admitted = server.calls
          .all()
          .filter((call) => call.fault === undefined && (routes === '*' || routes.includes(call.routeId)))
          .map((call) => call.at);
        // A sliding window admits at most `requests` in any window, so over a span T at most
        // requests × (T / window + 1): the share is what was admitted of that.
        const spanMs = Math.max(...admitted) - Math.min(...admitted);
        shares.push(admitted.length / (quota.requests * (spanMs / quota.perMs + 1)));
        throttled.push(quota.throttled);
        ctx.progress(
          `  run ${run + 1}: ${(100 * (shares.at(-1) ?? 0)).toFixed(1)} % used, ${quota.throttled} throttled`,
        );
        await watch.close();
        await daemon.stop();
        await infra.close();
      } finally {
        await world.close();
      }
    }
    results.push({
      quota: quotaCase.name,
      limit,
      rotations: count,
      shareUsed: figure(shares),
      throttled: figure(throttled),
      failedRotations,
    });
  }
  return results;
}
