import { connectRedis } from '../../src/daemon/redis-infrastructure.js';
import { providerFixtures } from '../../test/providers/all-fixtures.js';
import { startCloudflareFixture } from '../../test/providers/cloudflare.fixture.js';
import type { ProviderFixture } from '../../test/support/provider-fixture.js';
import { BASELINE_QUEUE, startBaseline } from '../baseline-worker.js';
import type { BenchContext } from '../bench-context.js';
import { redisCounters } from '../bench-redis.js';
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
  /** Redis commands per rotation (BullMQ's included, and those run inside scripts). */
  readonly redisCommandsPerRotation: { readonly rotor: number; readonly baseline: number };
  /**
   * Reads Redis made from client sockets per rotation: the round trips, each one socket write and one reply
   * on the client's side (pipelined commands share one). Where rotor's durability costs show.
   */
  readonly redisRequestsPerRotation: { readonly rotor: number; readonly baseline: number };
  /** CPU milliseconds of the bench process (the worker under test and the emulators) per rotation. */
  readonly cpuMsPerRotation: { readonly rotor: number; readonly baseline: number };
}

interface RoundCost {
  /** Rotations per second. */
  readonly rate: number;
  readonly httpCalls: number;
  readonly redisCommands: number;
  readonly redisRequests: number;
  readonly cpuMs: number;
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
    /** One round, with what it cost per rotation. */
    const measured = async (round: () => Promise<number>): Promise<RoundCost> => {
      clearCalls(world);
      const before = await redisCounters(infra.redis);
      const cpuBefore = process.cpuUsage();
      const rate = await round();
      const cpu = process.cpuUsage(cpuBefore);
      const after = await redisCounters(infra.redis);
      return {
        rate,
        httpCalls: totalCalls(world) / count,
        redisCommands: (after.commands - before.commands) / count,
        redisRequests: (after.reads - before.reads) / count,
        cpuMs: (cpu.user + cpu.system) / 1000 / count,
      };
    };

    ctx.progress(`overhead (${mix ? 'provider mix' : 'cloudflare'}): warm-up, ${count} policies`);
    // The first round creates the secrets; every measured round then rotates existing ones.
    await rotorRound();
    const rotorRounds: RoundCost[] = [];
    const baselineRounds: RoundCost[] = [];
    for (let run = 0; run < ctx.runs; run++) {
      const r = await measured(rotorRound);
      const b = await measured(baselineRound);
      rotorRounds.push(r);
      baselineRounds.push(b);
      ctx.progress(
        `  run ${run + 1}: rotor ${r.rate.toFixed(0)}/s (${r.cpuMs.toFixed(2)} ms CPU), baseline ${b.rate.toFixed(0)}/s (${b.cpuMs.toFixed(2)} ms CPU)`,
      );
    }
    await Promise.all([rotorWatch.close(), baselineWatch.close()]);
    await baseline.close();
    await daemon.stop();
    await infra.close();
    const rotor = figure(rotorRounds.map((round) => round.rate));
    const base = figure(baselineRounds.map((round) => round.rate));
    const median = (rounds: RoundCost[], of: (round: RoundCost) => number) => figure(rounds.map(of)).median;
    const perRotation = (of: (round: RoundCost) => number) => ({
      rotor: median(rotorRounds, of),
      baseline: median(baselineRounds, of),
    });
    return {
      providers: mix ? world.fixtures.map((fixture) => fixture.providerId).join('+') : 'cloudflare',
      rotations: count,
      concurrency: ctx.concurrency,
      rotor,
      baseline: base,
      ratio: rotor.median / base.median,
      callsPerRotation: perRotation((round) => round.httpCalls),
      redisCommandsPerRotation: perRotation((round) => round.redisCommands),
      redisRequestsPerRotation: perRotation((round) => round.redisRequests),
      cpuMsPerRotation: perRotation((round) => round.cpuMs),
    };
  } finally {
    await world.close();
  }
}
