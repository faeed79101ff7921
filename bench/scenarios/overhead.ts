import { connectRedis } from '../../src/daemon/redis-infrastructure.js';
import { providerFixtures } from '../../test/providers/all-fixtures.js';
import { startCloudflareFixture } from '../../test/providers/cloudflare.fixture.js';
import type { ProviderFixture } from '../../test/support/provider-fixture.js';
import { BASELINE_QUEUE, startBaseline } from '../baseline-worker.js';
import type { BenchContext } from '../bench-context.js';
import { commandsRun } from '../bench-redis.js';
import {
  CompletionWatch,
  openBenchWorld,
  type ProviderWorld,
  requestAll,
  startRotor,
} from '../bench-world.js';
import { type Figure, figure } from '../stats.js';

export interface OverheadResult {
  readonly providers: string;
  readonly rotations: number;
  readonly concurrency: number;
  /** Rotations per second. */
  readonly rotor: Figure;
  readonly baseline: Figure;
  /** rotor ÷ baseline, of the medians. */
  readonly ratio: number;
  /** HTTP calls the emulators answered per rotation: the two must make the same ones. */
  readonly callsPerRotation: { readonly rotor: number; readonly baseline: number };
  /** Redis commands per rotation (BullMQ's included), where rotor's durability costs show. */
  readonly redisCommandsPerRotation: { readonly rotor: number; readonly baseline: number };
}

const emulators = (world: ProviderWorld) => [
  world.aws.server,
  ...world.fixtures.map((fixture) => fixture.server),
];
const totalCalls = (world: ProviderWorld): number =>
  emulators(world).reduce((sum, server) => sum + server.calls.all().length, 0);
const clearCalls = (world: ProviderWorld): void => {
  for (const server of emulators(world)) server.calls.clear();
};

/**
 * On-demand rotations of every policy at once, through rotor and through the baseline worker, alternating,
 * with rate limits off for both; rotations per second from the first request to the last completion.
 */
export async function overhead(ctx: BenchContext, mix: boolean): Promise<OverheadResult> {
  const count = ctx.quick ? 300 : 2_000;
  const starts: (() => Promise<ProviderFixture>)[] = mix
    ? providerFixtures.map(([, start]) => start)
    : [startCloudflareFixture];
  const world = await openBenchWorld(ctx.redisUrl, starts);
  try {
    const entries: string[] = [];
    for (let index = 0; index < count; index++) {
      const fixture = world.fixtures[index % world.fixtures.length] as ProviderFixture;
      entries.push(await world.policy(`bench-${index}`, { gracePeriod: '1h' }, fixture));
    }
    const config = await world.config(entries, {
      worker: `concurrency: ${ctx.concurrency}`,
      sinkRateLimit: 'false',
      connectionRateLimit: 'false',
    });
    const infra = connectRedis(config);
    const daemon = await startRotor(config);
    const baseline = await startBaseline(config, ctx.concurrency);
    const rotorWatch = await CompletionWatch.open(config);
    const baselineWatch = await CompletionWatch.open(config, {
      name: BASELINE_QUEUE,
      prefix: baseline.prefix,
    });

    const rotorRound = async (): Promise<number> => {
      const startedAt = Date.now();
      const ids = await requestAll(infra.queue, config.policies);
      const { lastCompletedMs, failed } = await rotorWatch.all(ids);
      if (failed.length > 0) throw new Error(`rotor rotations failed: ${failed.slice(0, 3).join('; ')}`);
      return (count * 1000) / (lastCompletedMs - startedAt);
    };
    const baselineRound = async (): Promise<number> => {
      const startedAt = Date.now();
      const jobs = await Promise.all(
        config.policies.map((policy) => baseline.queue.add('rotate', { policyId: policy.id })),
      );
      const { lastCompletedMs, failed } = await baselineWatch.all(jobs.map((job) => job.id ?? ''));
      if (failed.length > 0) throw new Error(`baseline rotations failed: ${failed.slice(0, 3).join('; ')}`);
      return (count * 1000) / (lastCompletedMs - startedAt);
    };

    ctx.progress(`overhead (${mix ? 'provider mix' : 'cloudflare'}): warm-up, ${count} policies`);
    // The first round creates the secrets; every measured round then rotates existing ones.
    await rotorRound();
    const rotorRates: number[] = [];
    const baselineRates: number[] = [];
    const calls = { rotor: 0, baseline: 0 };
    const commands = { rotor: 0, baseline: 0 };
    for (let run = 0; run < ctx.runs; run++) {
      clearCalls(world);
      let before = await commandsRun(infra.redis);
      rotorRates.push(await rotorRound());
      commands.rotor = ((await commandsRun(infra.redis)) - before) / count;
      calls.rotor = totalCalls(world) / count;
      clearCalls(world);
      before = await commandsRun(infra.redis);
      baselineRates.push(await baselineRound());
      commands.baseline = ((await commandsRun(infra.redis)) - before) / count;
      calls.baseline = totalCalls(world) / count;
      ctx.progress(
        `  run ${run + 1}: rotor ${rotorRates.at(-1)?.toFixed(0)}/s, baseline ${baselineRates.at(-1)?.toFixed(0)}/s`,
      );
    }
    await Promise.all([rotorWatch.close(), baselineWatch.close()]);
    await baseline.close();
    await daemon.stop();
    await infra.close();
    const rotor = figure(rotorRates);
    const base = figure(baselineRates);
    return {
      providers: mix ? world.fixtures.map((fixture) => fixture.providerId).join('+') : 'cloudflare',
      rotations: count,
      concurrency: ctx.concurrency,
      rotor,
      baseline: base,
      ratio: rotor.median / base.median,
      callsPerRotation: calls,
      redisCommandsPerRotation: commands,
    };
  } finally {
    await world.close();
  }
}
