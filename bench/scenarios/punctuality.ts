import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis } from '../../src/daemon/redis-infrastructure.js';
import { scheduledRunId } from '../../src/domain/ids.js';
import { jitterOffsetMs } from '../../src/domain/jitter-offset.js';
import { startCloudflareFixture } from '../../test/providers/cloudflare.fixture.js';
import type { BenchContext } from '../bench-context.js';
import { CompletionWatch, openBenchWorld, requestAll, startRotor } from '../bench-world.js';
import { spawnRotor } from '../rotor-process.js';
import { type Figure, figure, percentile, sortedCopy } from '../stats.js';

export interface PunctualityRun {
  readonly jitter: string;
  /** Milliseconds from each rotation's due time (plus its jitter delay) to its start. */
  readonly lateness: { readonly p50: Figure; readonly p99: Figure; readonly max: Figure };
  /**
   * With jitter: the p99 of the rotations starting in the window's first seconds, where a daemon that has
   * not yet run a rotation meets the burst, and of those starting after them.
   */
  readonly lateness99ByStart?: {
    readonly firstSeconds: number;
    readonly first: Figure;
    readonly rest: Figure;
  };
}

/** The opening of a jitter window reported apart: a fresh process runs its first rotations slower. */
const FIRST_SECONDS = 5;

export interface PunctualityResult {
  readonly policies: number;
  readonly runs: readonly PunctualityRun[];
}

/**
 * Every policy due at the same second (a daily cron at one time), jitter off, then spread by jitter: how late
 * each rotation starts against its due time. Secrets exist beforehand, so start-up rotates nothing. The
 * measured daemon is `rotor start` in a process of its own, as deployed: the emulators standing in for the
 * vendors and AWS run in this one and do not take turns on its event loop.
 */
export async function punctuality(ctx: BenchContext): Promise<PunctualityResult> {
  const count = ctx.quick ? 500 : 5_000;
  const jitterS = ctx.quick ? 10 : 60;
  const runs = ctx.quick ? 1 : Math.min(ctx.runs, 3);
  const world = await openBenchWorld(ctx.redisUrl, [startCloudflareFixture]);
  const workDir = await mkdtemp(join(tmpdir(), 'rotor-bench-punctuality-'));
  const configFile = join(workDir, 'rotor.yaml');
  try {
    const targets: string[] = [];
    for (let index = 0; index < count; index++)
      targets.push(await world.policy(`due-${index}`, { gracePeriod: '1h' }));
    const withSchedule = (schedule: string) =>
      targets.map((entry) => entry.replace('schedule: { manualOnly: true }', `schedule: ${schedule}`));

    ctx.progress(`punctuality: creating ${count} secrets`);
    // Quotas off: this measures rotor's scheduling, not a vendor's (Cloudflare's 1,200 per 5 minutes alone
    // would spread 1,000 due rotations over minutes). The quotas scenario measures those.
    const sections = {
      worker: `concurrency: ${ctx.concurrency}`,
      sinkRateLimit: 'false',
      connectionRateLimit: 'false',
    };
    const first = await world.config(targets, sections);
    const firstInfra = connectRedis(first);
    const creator = await startRotor(first);
    const creation = await CompletionWatch.open(first);
    const created = await requestAll(firstInfra.queue, first.policies);
    await creation.all(created);
    await creation.close();
    await creator.stop();
    await firstInfra.close();

    const measured: PunctualityRun[] = [];
    for (const jitter of [0, jitterS]) {
      const p50: number[] = [];
      const p99: number[] = [];
      const max: number[] = [];
      const firstP99: number[] = [];
      const restP99: number[] = [];
      for (let run = 0; run < runs; run++) {
        // Far enough ahead for the daemon to start and reconcile its schedulers.
        const dueMs = Math.ceil((Date.now() + (ctx.quick ? 8_000 : 20_000)) / 1000) * 1000;
        const due = new Date(dueMs);
        const cron = `${due.getUTCSeconds()} ${due.getUTCMinutes()} ${due.getUTCHours()} * * *`;
        const policies = withSchedule(`{ cron: "${cron}", jitter: ${jitter}s }`);
        const config = await world.config(policies, sections);
        await writeFile(configFile, world.yaml(policies, sections));
        const infra = connectRedis(config);
        const watch = await CompletionWatch.open(config);
        const daemon = await spawnRotor(configFile, world.env);
        if (Date.now() >= dueMs) throw new Error('the daemon started after the due time; raise the lead');
        ctx.progress(`punctuality: ${count} rotations due at ${due.toISOString()}, jitter ${jitter}s`);
        const ids = config.policies.map((policy) => scheduledRunId(policy.id, dueMs));
        const { failed } = await watch.all(ids);
        if (failed.length > 0) throw new Error(`rotations failed: ${failed.slice(0, 3).join('; ')}`);
        const lateness: number[] = [];
        const first: number[] = [];
        const rest: number[] = [];
        for (const policy of config.policies) {
          const runId = scheduledRunId(policy.id, dueMs);
          const entry = (await infra.history.recent(policy.id)).find(
            (candidate) => candidate.runId === runId,
          );
          if (!entry) throw new Error(`no history for ${runId}`);
          const offsetMs = jitterOffsetMs(policy);
          const late = entry.startedAt - (dueMs + offsetMs);
          lateness.push(late);
          (offsetMs < FIRST_SECONDS * 1000 ? first : rest).push(late);
        }
        const sorted = sortedCopy(lateness);
        p50.push(percentile(sorted, 50));
        p99.push(percentile(sorted, 99));
        max.push(sorted.at(-1) ?? Number.NaN);
        ctx.progress(`  p50 ${p50.at(-1)} ms, p99 ${p99.at(-1)} ms, max ${max.at(-1)} ms`);
        if (jitter > 0) {
          firstP99.push(percentile(sortedCopy(first), 99));
          restP99.push(percentile(sortedCopy(rest), 99));
          ctx.progress(
            `  p99 of the first ${FIRST_SECONDS} s ${firstP99.at(-1)} ms (${first.length} rotations), after ${restP99.at(-1)} ms`,
          );
        }
        await watch.close();
        await daemon.stop();
        await infra.close();
      }
      measured.push({
        jitter: jitter === 0 ? 'off' : `${jitter}s`,
        lateness: { p50: figure(p50), p99: figure(p99), max: figure(max) },
        ...(jitter > 0
          ? {
              lateness99ByStart: {
                firstSeconds: FIRST_SECONDS,
                first: figure(firstP99),
                rest: figure(restP99),
              },
            }
          : {}),
      });
    }
    return { policies: count, runs: measured };
  } finally {
    await rm(workDir, { recursive: true, force: true });
    await world.close();
  }
}
