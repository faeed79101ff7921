import { connectRedis } from '../../src/daemon/redis-infrastructure.js';
import { startCloudflareFixture } from '../../test/providers/cloudflare.fixture.js';
import type { BenchContext } from '../bench-context.js';
import {
  CompletionWatch,
  openBenchWorld,
  type RotationTiming,
  startRotor,
  timedRotation,
} from '../bench-world.js';
import { type Figure, figure, percentile, sortedCopy } from '../stats.js';

export interface RotateNowResult {
  readonly rotationsPerRun: number;
  /** Milliseconds from the request being enqueued to AWSCURRENT pointing at the new version. */
  readonly enqueueToPromote: { readonly p50: Figure; readonly p99: Figure };
  /** Milliseconds from the request being enqueued to the job completing (record and history written). */
  readonly enqueueToComplete: { readonly p50: Figure; readonly p99: Figure };
}

/** One Cloudflare policy rotated on demand, one request at a time, on loopback; rate limits off. */
export async function rotateNow(ctx: BenchContext): Promise<RotateNowResult> {
  const perRun = ctx.quick ? 60 : 200;
  const world = await openBenchWorld(ctx.redisUrl, [startCloudflareFixture]);
  try {
    const entry = await world.policy('rotate-now', { gracePeriod: '1h' });
    const config = await world.config([entry], { sinkRateLimit: 'false', connectionRateLimit: 'false' });
    const policy = config.policies[0];
    if (!policy) throw new Error('no policy');
    const infra = connectRedis(config);
    const daemon = await startRotor(config);
    const watch = await CompletionWatch.open(config);

    const once = () => timedRotation(world, infra.queue, watch, policy);

    ctx.progress(`rotate-now: ${ctx.runs} runs of ${perRun} rotations`);
    await once(); // creates the secret
    const promote = { p50: [] as number[], p99: [] as number[] };
    const complete = { p50: [] as number[], p99: [] as number[] };
    for (let run = 0; run < ctx.runs; run++) {
      const samples: RotationTiming[] = [];
      for (let index = 0; index < perRun; index++) samples.push(await once());
      const promoteSorted = sortedCopy(samples.map((sample) => sample.promote));
      const completeSorted = sortedCopy(samples.map((sample) => sample.complete));
      promote.p50.push(percentile(promoteSorted, 50));
      promote.p99.push(percentile(promoteSorted, 99));
      complete.p50.push(percentile(completeSorted, 50));
      complete.p99.push(percentile(completeSorted, 99));
      ctx.progress(`  run ${run + 1}: promote p50 ${promote.p50.at(-1)} ms, p99 ${promote.p99.at(-1)} ms`);
    }
    await watch.close();
    await daemon.stop();
    await infra.close();
    return {
      rotationsPerRun: perRun,
      enqueueToPromote: { p50: figure(promote.p50), p99: figure(promote.p99) },
      enqueueToComplete: { p50: figure(complete.p50), p99: figure(complete.p99) },
    };
  } finally {
    await world.close();
  }
}
