import { randomBytes, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { DestinationStream } from 'pino';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { connectRedis } from '../../src/daemon/redis-infrastructure.js';
import { manualRunId } from '../../src/domain/ids.js';
import {
  MANAGED_BY_ROTOR,
  MANAGED_BY_TAG,
  POLICY_TAG,
} from '../../src/sinks/aws-secrets-manager/aws-sm.ownership.js';
import { stateKeys } from '../../src/state/redis-keys.js';
import { startCloudflareFixture } from '../../test/providers/cloudflare.fixture.js';
import type { BenchContext } from '../bench-context.js';
import {
  CompletionWatch,
  openBenchWorld,
  type ProviderWorld,
  type RotationTiming,
  startRotor,
  timedRotation,
} from '../bench-world.js';
import { type Figure, figure, percentile, sortedCopy } from '../stats.js';

/**
 * Enqueue → promote of on-demand rotations, in milliseconds (each figure over the runs' percentiles), and how
 * busy the process (rotor, the emulators and the bench, one event loop) was meanwhile.
 */
export interface PromoteLatency {
  /** Rotations measured per run (during a rebuild: as many as fit in it, one at a time). */
  readonly rotations: Figure;
  readonly p50: Figure;
  readonly p99: Figure;
  readonly max: Figure;
  /** The event loop's delay, p99, in milliseconds (sampled every 10 ms). */
  readonly loopDelayP99Ms: Figure;
  /** CPU time over wall time of the process (1 = one core busy throughout). */
  readonly cpuShare: Figure;
}

export interface RebuildResult {
  /** Policies whose record Redis lacks while AWS holds their secret (two rotor-made versions each). */
  readonly policies: number;
  /** Policies with records, rotated on demand one at a time, round robin. */
  readonly others: number;
  /** Seconds from `rotor start` to its start-up returning ("rotor started"). */
  readonly startedS: Figure;
  /** Seconds from `rotor start` to the first record rebuilt (schedules, the record scan, the sink inspection). */
  readonly firstRecordS: Figure;
  /** Seconds from `rotor start` to the last record rebuilt. */
  readonly rebuildS: Figure;
  /** Records rebuilt per second, from the first record to the last. */
  readonly recordsPerS: Figure;
  /** Other policies' rotations requested while the rebuild ran. */
  readonly duringRebuild: PromoteLatency;
  /** The same, in the same daemon once the rebuild has finished. */
  readonly afterRebuild: PromoteLatency;
}

const OTHERS = 4;
const REBUILT_LINE = 'policy record rebuilt from AWS Secrets Manager';
const FAILED_LINE = 'record from AWS failed';
/** A run that has not rebuilt every record by then is a failure, not a figure. */
const RUN_DEADLINE_MS = 15 * 60_000;

/** Counts rotor's log lines about rebuilt records (and failed rebuilds) as it writes them, with when. */
class RebuildLog implements DestinationStream {
  rebuilt = 0;
  failed = 0;
  firstAt: number | undefined;
  lastAt: number | undefined;

  write(line: string): void {
    if (line.includes(REBUILT_LINE)) {
      this.rebuilt++;
      this.lastAt = Date.now();
      this.firstAt ??= this.lastAt;
    } else if (line.includes(FAILED_LINE)) this.failed++;
  }
}

/**
 * A fleet of manual Cloudflare policies whose AWS secrets hold rotor-made documents while the Redis prefix
 * has no record of them (it keeps the generation marker and the records of a few other policies): `rotor
 * start` rebuilds their records from AWS. Meanwhile the other policies are rotated on demand one at a time
 * (as rotate-now does); then the same again once the rebuild has finished. Rate limits off: the figures are
 * rotor's own work. Each run forgets the fleet's records and starts rotor again.
 */
export async function rebuild(ctx: BenchContext): Promise<RebuildResult> {
  const count = ctx.quick ? 1_000 : 10_000;
  const afterPerRun = ctx.quick ? 60 : 200;
  const world = await openBenchWorld(ctx.redisUrl, [startCloudflareFixture]);
  try {
    ctx.progress(`rebuild: ${count} records to rebuild, ${OTHERS} other policies, ${ctx.runs} runs`);
    const { entries: fleetEntries, currentRunIds } = seedFleet(world, count);
    const otherEntries: string[] = [];
    for (let index = 0; index < OTHERS; index++) {
      otherEntries.push(await world.policy(`other-${index}`, { gracePeriod: '1h' }));
    }
    const limitsOff = { sinkRateLimit: 'false', connectionRateLimit: 'false' } as const;
    const config = await world.config([...otherEntries, ...fleetEntries], limitsOff);
    const others = config.policies.slice(0, OTHERS);
    const fleetIds = config.policies.slice(OTHERS).map((policy) => policy.id);
    const infra = connectRedis(config);
    const watch = await CompletionWatch.open(config);

    // The other policies' secrets and records, made by a rotor that knows only them.
    const first = await startRotor(await world.config(otherEntries, limitsOff));
    for (const policy of others) await timedRotation(world, infra.queue, watch, policy);
    await first.stop();

    const runs: RunFigures[] = [];
    for (let run = 0; run < ctx.runs; run++) {
      for (let start = 0; start < fleetIds.length; start += 1_000) {
        const keys = fleetIds
          .slice(start, start + 1_000)
          .map((id) => stateKeys.record(config.redis.prefix, id));
        await infra.redis.unlink(...keys);
      }
      const log = new RebuildLog();
      const startedAt = Date.now();
      let startedMs: number | undefined;
      let startFailure: unknown;
      const starting = startRotor(config, log).then(
        (daemon) => {
          startedMs = Date.now() - startedAt;
          return daemon;
        },
        (error: unknown) => {
          startFailure = error;
          throw error;
        },
      );
      const deadline = startedAt + RUN_DEADLINE_MS;
      const check = () => {
        if (startFailure !== undefined) throw startFailure;
        if (log.failed > 0) throw new Error(`${log.failed} records could not be rebuilt`);
        if (Date.now() > deadline) throw new Error(`only ${log.rebuilt} of ${count} records rebuilt in time`);
      };
      while (log.rebuilt === 0) {
        check();
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const during: RotationTiming[] = [];
      const duringLoad = ProcessLoad.start();
      while (log.rebuilt + log.failed < count) {
        check();
        during.push(
          await timedRotation(world, infra.queue, watch, others[during.length % OTHERS] as PolicyConfig),
        );
      }
      const duringBusy = duringLoad.stop();
      check();
      const daemon = await starting;
      if (during.length === 0) throw new Error('the rebuild ended before one rotation was requested');
      await expectRebuilt(infra.records, fleetIds, currentRunIds);

      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const after: RotationTiming[] = [];
      const afterLoad = ProcessLoad.start();
      for (let index = 0; index < afterPerRun; index++) {
        after.push(await timedRotation(world, infra.queue, watch, others[index % OTHERS] as PolicyConfig));
      }
      const afterBusy = afterLoad.stop();
      await daemon.stop();

      const firstAt = log.firstAt ?? Number.NaN;
      const lastAt = log.lastAt ?? Number.NaN;
      const figures: RunFigures = {
        startedS: (startedMs ?? Number.NaN) / 1000,
        firstRecordS: (firstAt - startedAt) / 1000,
        rebuildS: (lastAt - startedAt) / 1000,
        recordsPerS: count / Math.max(0.001, (lastAt - firstAt) / 1000),
        during: { ...promoteFigures(during), ...duringBusy },
        after: { ...promoteFigures(after), ...afterBusy },
      };
      runs.push(figures);
      ctx.progress(
        `  run ${run + 1}: rebuilt in ${figures.rebuildS.toFixed(1)} s (${Math.round(figures.recordsPerS)}/s, started after ${figures.startedS.toFixed(1)} s); promote during p50 ${figures.during.p50} ms, p99 ${figures.during.p99} ms (${during.length}); after p50 ${figures.after.p50} ms, p99 ${figures.after.p99} ms; loop delay p99 ${figures.during.loopDelayP99Ms.toFixed(0)} vs ${figures.after.loopDelayP99Ms.toFixed(0)} ms, CPU ${figures.during.cpuShare.toFixed(2)} vs ${figures.after.cpuShare.toFixed(2)}`,
      );
    }
    await watch.close();
    await infra.close();

    const over = (pick: (run: RunFigures) => number) => figure(runs.map(pick));
    const latency = (side: 'during' | 'after'): PromoteLatency => ({
      rotations: over((run) => run[side].rotations),
      p50: over((run) => run[side].p50),
      p99: over((run) => run[side].p99),
      max: over((run) => run[side].max),
      loopDelayP99Ms: over((run) => run[side].loopDelayP99Ms),
      cpuShare: over((run) => run[side].cpuShare),
    });
    return {
      policies: count,
      others: OTHERS,
      startedS: over((run) => run.startedS),
      firstRecordS: over((run) => run.firstRecordS),
      rebuildS: over((run) => run.rebuildS),
      recordsPerS: over((run) => run.recordsPerS),
      duringRebuild: latency('during'),
      afterRebuild: latency('after'),
    };
  } finally {
    await world.close();
  }
}

interface RunFigures {
  readonly startedS: number;
  readonly firstRecordS: number;
  readonly rebuildS: number;
  readonly recordsPerS: number;
  readonly during: PhaseFigures;
  readonly after: PhaseFigures;
}

type PhaseFigures = { readonly [K in keyof PromoteLatency]: number };

/** The event loop's delay and the process's CPU share from `start` to `stop`. */
class ProcessLoad {
  readonly #delay = monitorEventLoopDelay({ resolution: 10 });
  readonly #cpu = process.cpuUsage();
  readonly #wallStart = performance.now();

  private constructor() {
    this.#delay.enable();
  }

  static start(): ProcessLoad {
    return new ProcessLoad();
  }

  stop(): Pick<PhaseFigures, 'loopDelayP99Ms' | 'cpuShare'> {
    this.#delay.disable();
    const cpu = process.cpuUsage(this.#cpu);
    const wallMs = performance.now() - this.#wallStart;
    return {
      loopDelayP99Ms: this.#delay.percentile(99) / 1e6,
      cpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
    };
  }
}

function promoteFigures(
  samples: readonly RotationTiming[],
): Omit<PhaseFigures, 'loopDelayP99Ms' | 'cpuShare'> {
  const sorted = sortedCopy(samples.map((sample) => sample.promote));
  return {
    rotations: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * The fleet's secrets, straight into the emulator's store: rotor's tags, and two versions (AWSPREVIOUS and
 * AWSCURRENT) each holding a Cloudflare credential document with rotor's provenance member. Manual policies:
 * no catch-up rotation starts. Returns the policy entries and each policy's AWSCURRENT run id.
 */
function seedFleet(world: ProviderWorld, count: number): { entries: string[]; currentRunIds: string[] } {
  const entries: string[] = [];
  const currentRunIds: string[] = [];
  const now = Date.now();
  const expiresAt = new Date(now + 365 * 24 * 3_600_000).toISOString();
  for (let index = 0; index < count; index++) {
    const policyId = `rebuild-${index}`;
    const secretId = `rebuild/${index}`;
    const serviceTokenId = randomUUID();
    const clientId = `${randomBytes(16).toString('hex')}.access`;
    const document = (runId: string) => ({
      kind: 'string' as const,
      text: JSON.stringify({
        serviceTokenId,
        clientId,
        clientSecret: randomBytes(32).toString('hex'),
        expiresAt,
        rotor: { runId },
      }),
    });
    const currentRunId = manualRunId(policyId, now - 60_000);
    world.aws.store.create({
      name: secretId,
      tags: new Map([
        [MANAGED_BY_TAG, MANAGED_BY_ROTOR],
        [POLICY_TAG, policyId],
      ]),
      clientRequestToken: randomUUID(),
      value: document(manualRunId(policyId, now - 120_000)),
    });
    world.aws.store.putValue(secretId, { clientRequestToken: randomUUID(), value: document(currentRunId) });
    currentRunIds.push(currentRunId);
    entries.push(
      [
        `- id: ${policyId}`,
        '  connection: cloudflare',
        '  action: rotate',
        `  target: { serviceTokenId: ${serviceTokenId} }`,
        '  schedule: { manualOnly: true }',
        `  secret: { id: ${secretId} }`,
      ].join('\n'),
    );
  }
  return { entries, currentRunIds };
}

/** Every fleet record rebuilt, from the AWSCURRENT document rotor wrote (its run id), with a previous one. */
async function expectRebuilt(
  records: ReturnType<typeof connectRedis>['records'],
  policyIds: readonly string[],
  currentRunIds: readonly string[],
): Promise<void> {
  const stored = await records.getMany(policyIds);
  const wrong = policyIds.filter((policyId, index) => {
    const record = stored.get(policyId);
    return (
      record?.rebuiltAt === undefined ||
      record.current?.runId !== currentRunIds[index] ||
      record.previous === undefined
    );
  });
  if (wrong.length > 0)
    throw new Error(`${wrong.length} records were not rebuilt as AWS holds them (first: ${wrong[0]})`);
}
