import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { connectRedis } from '../../src/daemon/redis-infrastructure.js';
import { indentBlock, loadWorldConfig, worldConfigYaml } from '../../test/support/world-config.js';
import { type BaselineSecret, type BaselineWrite, startBaseline } from '../baseline-worker.js';
import type { BenchContext } from '../bench-context.js';
import { benchRedis, redisCounters } from '../bench-redis.js';
import { CompletionWatch, requestAll, startRotor } from '../bench-world.js';
import { type CallsPerRotation, callsPerRotation, medianCalls } from '../call-count.js';
import { profiled } from '../cpu-profile.js';
import { spawnEmulators } from '../emulator-process.js';
import { REMOTE_VENDORS, type RemoteTarget, type RemoteVendor, remoteVendor } from '../remote-vendors.js';
import { type Figure, figure } from '../stats.js';

/** What one side (rotor, the baseline, the floor) did per rotation, medians over the measured rounds. */
export interface SideResult {
  /** Rotations per second, from the first request to the last completion. */
  readonly rate: Figure;
  /** HTTP calls per rotation by service, from the emulators' call logs. */
  readonly calls: CallsPerRotation;
  /** Redis commands per rotation (BullMQ's included, and those run inside scripts). */
  readonly redisCommandsPerRotation: number;
  /**
   * Reads Redis made from client sockets per rotation: the round trips, each one socket write and one reply
   * on the client's side (pipelined commands share one).
   */
  readonly redisRequestsPerRotation: number;
  /** CPU milliseconds of the bench process per rotation: the worker under test (the other two idle). */
  readonly cpuMsPerRotation: number;
  /** CPU milliseconds of the emulator process per rotation: what the side's calls cost the vendors and AWS. */
  readonly emulatorCpuMsPerRotation: number;
}

export interface OverheadResult {
  readonly providers: string;
  readonly rotations: number;
  readonly concurrency: number;
  readonly rotor: SideResult;
  /** The minimal staged rotation: vendor issue, PutSecretValue (AWSPENDING), two UpdateSecretVersionStage. */
  readonly baseline: SideResult;
  /** The least a rotation can take: vendor issue, PutSecretValue with no stages. */
  readonly floor: SideResult;
  /** rotor's rate ÷ the baseline's and ÷ the floor's, of the medians. */
  readonly ratio: { readonly baseline: number; readonly floor: number };
}

interface RoundCost {
  readonly rate: number;
  readonly calls: CallsPerRotation;
  readonly redisCommands: number;
  readonly redisRequests: number;
  readonly cpuMs: number;
  readonly emulatorCpuMs: number;
}

/** The displaced credential's grace: its revoke (rotor's, at overlap vendors) falls an hour after any round. */
const GRACE_PERIOD = '1h';
const GRACE_PERIOD_MS = 3_600_000;

function policyEntry(id: string, vendor: RemoteVendor, target: RemoteTarget): string {
  return [
    `- id: ${id}`,
    `  connection: ${vendor.providerId}`,
    `  action: ${vendor.action}`,
    `  target: ${target.targetYaml}`,
    '  schedule: { manualOnly: true }',
    `  gracePeriod: ${GRACE_PERIOD}`,
    ...(target.extraPolicyYaml ? indentBlock(target.extraPolicyYaml, '  ') : []),
    `  secret: { id: ${vendor.providerId}/${id}, adopt: false }`,
  ].join('\n');
}

function sideResult(rounds: readonly RoundCost[]): SideResult {
  const median = (of: (round: RoundCost) => number) => figure(rounds.map(of)).median;
  return {
    rate: figure(rounds.map((round) => round.rate)),
    calls: medianCalls(rounds.map((round) => round.calls)),
    redisCommandsPerRotation: median((round) => round.redisCommands),
    redisRequestsPerRotation: median((round) => round.redisRequests),
    cpuMsPerRotation: median((round) => round.cpuMs),
    emulatorCpuMsPerRotation: median((round) => round.emulatorCpuMs),
  };
}

/**
 * On-demand rotations of every policy at once, through rotor, the minimal baseline and the floor, alternating,
 * rate limits off, against the emulators in a process of their own. Each side rotates its own vendor targets
 * and secrets (the baseline keeps the current version of its own in memory; rotor's would move under it).
 */
export async function overhead(ctx: BenchContext, mix: boolean): Promise<OverheadResult> {
  const count = ctx.quick ? 300 : 2_000;
  const label = mix ? 'provider mix' : 'cloudflare';
  const emulators = await spawnEmulators();
  const scope = benchRedis(ctx.redisUrl);
  const closers: (() => Promise<void>)[] = [];
  try {
    const vendors = (mix ? REMOTE_VENDORS : (['cloudflare'] as const)).map((id) =>
      remoteVendor(id, emulators),
    );
    ctx.progress(`overhead (${label}): ${count} targets per side at the emulator process`);
    const rotationsAt = new Map<string, number>();
    const entries: string[] = [];
    const own = { staged: [] as BaselineSecret[], floor: [] as BaselineSecret[] };
    for (let index = 0; index < count; index++) {
      const vendor = vendors[index % vendors.length] as RemoteVendor;
      rotationsAt.set(vendor.providerId, (rotationsAt.get(vendor.providerId) ?? 0) + 1);
      entries.push(policyEntry(`bench-${index}`, vendor, await vendor.newTarget(`bench-${index}`)));
      for (const write of ['staged', 'floor'] as const) {
        const { issue } = await vendor.newTarget(`${write}-${index}`);
        own[write].push({ secretId: `${write}/${vendor.providerId}/bench-${index}`, issue });
      }
    }

    const aws = {
      endpoint: emulators.client('aws', 'endpoint'),
      region: emulators.client('aws', 'region'),
      accessKeyId: emulators.client('aws', 'accessKeyId'),
      secretAccessKey: emulators.client('aws', 'secretAccessKey'),
    };
    const env = {
      ...Object.fromEntries(vendors.flatMap((vendor) => Object.entries(vendor.env))),
      BENCH_AWS_KEY_ID: aws.accessKeyId,
      BENCH_AWS_SECRET_KEY: aws.secretAccessKey,
      BENCH_JOURNAL_KEY: randomBytes(32).toString('base64'),
    };
    const config = await loadWorldConfig(
      worldConfigYaml({
        redisUrl: scope.url,
        prefix: scope.prefix,
        aws,
        envNames: {
          journalKey: 'BENCH_JOURNAL_KEY',
          awsKeyId: 'BENCH_AWS_KEY_ID',
          awsSecretKey: 'BENCH_AWS_SECRET_KEY',
        },
        connections: vendors
          .flatMap((vendor) => [
            `${vendor.providerId}:`,
            `  provider: ${vendor.providerId}`,
            ...indentBlock(vendor.connectionYaml, '  '),
            '  rateLimit: false',
          ])
          .join('\n'),
        policies: entries,
        sections: { worker: `concurrency: ${ctx.concurrency}`, sinkRateLimit: 'false' },
      }),
      env,
    );

    const infra = connectRedis(config);
    closers.push(() => infra.close());
    const daemon = await startRotor(config);
    closers.push(() => daemon.stop());
    const rotorWatch = await CompletionWatch.open(config);
    closers.push(() => rotorWatch.close());
    const baselineSide = async (write: BaselineWrite) => {
      const prefix = `${scope.prefix}-${write}`;
      const queueName = `${write}-rotations`;
      const worker = await startBaseline({
        redisUrl: scope.url,
        prefix,
        queueName,
        concurrency: ctx.concurrency,
        write,
        aws,
        gracePeriodMs: GRACE_PERIOD_MS,
      });
      closers.push(() => worker.close());
      const watch = await CompletionWatch.open(config, { name: queueName, prefix });
      closers.push(() => watch.close());
      await worker.createSecrets(own[write]);
      return { queue: worker.queue, watch, secrets: own[write] };
    };
    const staged = await baselineSide('staged');
    const floor = await baselineSide('floor');

    const rotorRound = async (): Promise<number> => {
      const startedAt = Date.now();
      const ids = await requestAll(infra.queue, config.policies);
      const { lastCompletedMs, failed } = await rotorWatch.all(ids);
      if (failed.length > 0) throw new Error(`rotor rotations failed: ${failed.slice(0, 3).join('; ')}`);
      return (count * 1000) / (lastCompletedMs - startedAt);
    };
    const workerRound =
      (side: { queue: Queue; watch: CompletionWatch; secrets: readonly BaselineSecret[] }) =>
      async (): Promise<number> => {
        const startedAt = Date.now();
        const jobs = await Promise.all(
          side.secrets.map((secret) => side.queue.add('rotate', { secretId: secret.secretId })),
        );
        const { lastCompletedMs, failed } = await side.watch.all(jobs.map((job) => job.id ?? ''));
        if (failed.length > 0) throw new Error(`baseline rotations failed: ${failed.slice(0, 3).join('; ')}`);
        return (count * 1000) / (lastCompletedMs - startedAt);
      };
    const stagedRound = workerRound(staged);
    const floorRound = workerRound(floor);
    /** One round, with what it cost per rotation (profiled with `--cpu-prof`, as `overhead-<vendors>-<side>-<run>`). */
    const measured = async (round: () => Promise<number>, profileName: string): Promise<RoundCost> => {
      await emulators.clearCalls();
      const before = await redisCounters(infra.redis);
      const emulatorCpuBefore = await emulators.cpuMs();
      const cpuBefore = process.cpuUsage();
      const rate = await profiled(
        ctx.cpuProfileDir,
        `overhead-${mix ? 'mix' : 'cloudflare'}-${profileName}`,
        count,
        round,
      );
      const cpu = process.cpuUsage(cpuBefore);
      const emulatorCpu = (await emulators.cpuMs()) - emulatorCpuBefore;
      const after = await redisCounters(infra.redis);
      return {
        rate,
        calls: callsPerRotation(await emulators.calls(), rotationsAt),
        redisCommands: (after.commands - before.commands) / count,
        redisRequests: (after.reads - before.reads) / count,
        cpuMs: (cpu.user + cpu.system) / 1000 / count,
        emulatorCpuMs: emulatorCpu / count,
      };
    };

    ctx.progress(`overhead (${label}): warm-up, one round per side`);
    // rotor's first round also creates its secrets; the baseline's and the floor's were created above.
    await rotorRound();
    await stagedRound();
    await floorRound();
    const rounds = { rotor: [] as RoundCost[], baseline: [] as RoundCost[], floor: [] as RoundCost[] };
    for (let run = 0; run < ctx.runs; run++) {
      const r = await measured(rotorRound, `rotor-${run + 1}`);
      const b = await measured(stagedRound, `baseline-${run + 1}`);
      const f = await measured(floorRound, `floor-${run + 1}`);
      rounds.rotor.push(r);
      rounds.baseline.push(b);
      rounds.floor.push(f);
      const shown = (cost: RoundCost) =>
        `${cost.rate.toFixed(0)}/s (${cost.calls.total.toFixed(1)} calls, ${cost.cpuMs.toFixed(2)} ms CPU)`;
      ctx.progress(`  run ${run + 1}: rotor ${shown(r)}, baseline ${shown(b)}, floor ${shown(f)}`);
    }
    const rotor = sideResult(rounds.rotor);
    const baseline = sideResult(rounds.baseline);
    const least = sideResult(rounds.floor);
    return {
      providers: vendors.map((vendor) => vendor.providerId).join('+'),
      rotations: count,
      concurrency: ctx.concurrency,
      rotor,
      baseline,
      floor: least,
      ratio: {
        baseline: rotor.rate.median / baseline.rate.median,
        floor: rotor.rate.median / least.rate.median,
      },
    };
  } finally {
    for (const close of closers.reverse()) await close();
    await emulators.stop();
    await scope.cleanup();
  }
}
