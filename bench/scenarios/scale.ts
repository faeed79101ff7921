import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis } from '../../src/daemon/redis-infrastructure.js';
import { reconcileSchedulers } from '../../src/queue/scheduler-reconcile.js';
import { startCloudflareFixture } from '../../test/providers/cloudflare.fixture.js';
import type { BenchContext } from '../bench-context.js';
import { usedMemory } from '../bench-redis.js';
import { openBenchWorld } from '../bench-world.js';
import { type MemoryCgroup, openMemoryCgroup } from '../memory-cgroup.js';
import { spawnRotor } from '../rotor-process.js';
import { type Figure, figure } from '../stats.js';

export interface ScaleResult {
  readonly policies: number;
  /** Seconds to read, check and type the config file. */
  readonly configLoadS: Figure;
  /** Seconds to create every policy's Job Scheduler on an empty Redis. */
  readonly coldReconcileS: Figure;
  /** Seconds to reconcile when nothing changed. */
  readonly warmReconcileS: Figure;
  /** Redis memory per policy once its scheduler exists, in bytes. */
  readonly redisBytesPerPolicy: Figure;
  /**
   * `rotor start` (a child process) on an empty Redis: seconds until "rotor started", the resident set's
   * high-water mark (start-up's config parse, reconcile and sink check), and the least resident set over the
   * idle period after it (V8 hands memory back once allocation calms down).
   */
  readonly daemonStartS: number;
  readonly daemonPeakRssMiB: number;
  readonly daemonSettledRssMiB: number;
  /** `rotor start` in a memory cgroup of LIMIT_MIB, first on an empty Redis, then again; absent without one. */
  readonly limited?: LimitedRun;
}

/** Two starts, cold then warm, in one memory cgroup: what a container with that limit would see. */
export interface LimitedRun {
  readonly limitMiB: number;
  /** Seconds to "rotor started"; undefined when that start did not complete. */
  readonly coldStartS: number | undefined;
  readonly warmStartS: number | undefined;
  /** The most memory the kernel charged to the group over both starts and their idle time. */
  readonly peakChargedMiB: number;
  /** The higher of the two processes' resident-set high-water marks. */
  readonly peakRssMiB: number;
  readonly oomKills: number;
}

/** The memory limit the scale target names (300 MB), as a container runtime would set it. */
const LIMIT_MIB = 286;

/**
 * A fleet of daily cron policies (one Cloudflare connection, secrets already in AWS): config load, cold and
 * warm scheduler reconciles measured in this process; then `rotor start` on it in a child process.
 */
export async function scale(ctx: BenchContext): Promise<ScaleResult> {
  const count = ctx.quick ? 5_000 : 100_000;
  const runs = ctx.quick ? Math.min(ctx.runs, 2) : Math.min(ctx.runs, 3);
  const world = await openBenchWorld(ctx.redisUrl, [startCloudflareFixture]);
  const workDir = await mkdtemp(join(tmpdir(), 'rotor-bench-scale-'));
  try {
    ctx.progress(`scale: ${count} policies`);
    const entries: string[] = [];
    for (let index = 0; index < count; index++) {
      const secretId = `scale/${index}`;
      // The secret exists, so start-up finds every policy rotated already and queues nothing.
      world.aws.store.create({
        name: secretId,
        tags: new Map(),
        clientRequestToken: randomUUID(),
        value: { kind: 'string', text: '{}' },
      });
      entries.push(
        [
          `- id: scale-${index}`,
          '  connection: cloudflare',
          '  action: rotate',
          `  target: { serviceTokenId: ${randomUUID()} }`,
          `  schedule: { cron: "${index % 60} ${Math.floor(index / 60) % 24} * * *" }`,
          `  secret: { id: ${secretId}, adopt: true }`,
        ].join('\n'),
      );
    }
    const yaml = world.yaml(entries);
    const configFile = join(workDir, 'rotor.yaml');
    await writeFile(configFile, yaml);

    const loads: number[] = [];
    let config = await world.config(entries);
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      config = await world.config(entries);
      loads.push((performance.now() - started) / 1000);
    }

    const infra = connectRedis(config);
    const cold: number[] = [];
    const bytes: number[] = [];
    for (let run = 0; run < runs; run++) {
      await infra.queue.obliterate({ force: true });
      const before = await usedMemory(infra.redis);
      const started = performance.now();
      await reconcileSchedulers(infra, config.policies, Date.now());
      cold.push((performance.now() - started) / 1000);
      bytes.push(((await usedMemory(infra.redis)) - before) / count);
      ctx.progress(`  cold reconcile ${cold.at(-1)?.toFixed(1)} s`);
    }
    const warm: number[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const changes = await reconcileSchedulers(infra, config.policies, Date.now());
      warm.push((performance.now() - started) / 1000);
      if (changes.some((change) => change.action !== 'unchanged'))
        throw new Error('a warm reconcile changed something');
    }
    ctx.progress(`  warm reconcile ${warm.map((s) => s.toFixed(2)).join(', ')} s; starting rotor`);
    await infra.queue.obliterate({ force: true });
    const daemon = await measureDaemon(configFile, world.env, { idleMs: ctx.quick ? 10_000 : 60_000 });
    ctx.progress(`  started in ${daemon.startS.toFixed(1)} s; peak RSS ${daemon.peakRssMiB} MiB`);

    let limited: LimitedRun | undefined;
    const cgroup = await openMemoryCgroup(LIMIT_MIB);
    if (!cgroup) ctx.progress('  no writable memory cgroup here: the start within a memory limit is skipped');
    else {
      try {
        await infra.queue.obliterate({ force: true });
        const runs: (DaemonRun | undefined)[] = [];
        for (const start of ['cold', 'warm']) {
          const run = await measureDaemon(configFile, world.env, { idleMs: 5_000, cgroup }).catch(
            (error: unknown) => {
              ctx.progress(`  ${start} start in ${LIMIT_MIB} MiB failed: ${String(error)}`);
              return undefined;
            },
          );
          runs.push(run);
        }
        limited = {
          limitMiB: LIMIT_MIB,
          coldStartS: runs[0]?.startS,
          warmStartS: runs[1]?.startS,
          peakChargedMiB: await cgroup.peakMiB(),
          peakRssMiB: Math.max(...runs.map((run) => run?.peakRssMiB ?? 0)),
          oomKills: await cgroup.oomKills(),
        };
        ctx.progress(`  within ${LIMIT_MIB} MiB: peak charged ${limited.peakChargedMiB} MiB`);
      } finally {
        await cgroup.remove();
      }
    }
    await infra.close();
    return {
      policies: count,
      configLoadS: figure(loads),
      coldReconcileS: figure(cold),
      warmReconcileS: figure(warm),
      redisBytesPerPolicy: figure(bytes),
      daemonStartS: daemon.startS,
      daemonPeakRssMiB: daemon.peakRssMiB,
      daemonSettledRssMiB: daemon.settledRssMiB,
      ...(limited === undefined ? {} : { limited }),
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
    await world.close();
  }
}

interface DaemonRun {
  readonly startS: number;
  readonly peakRssMiB: number;
  /** The least resident set over the idle period after start-up. */
  readonly settledRssMiB: number;
}

/** Starts `rotor start`, waits for "rotor started", watches its resident memory while idle, stops it. */
async function measureDaemon(
  configFile: string,
  env: Readonly<Record<string, string>>,
  options: { readonly idleMs: number; readonly cgroup?: MemoryCgroup },
): Promise<DaemonRun> {
  const rotor = await spawnRotor(configFile, env, options);
  let settledKiB = Number.POSITIVE_INFINITY;
  for (const until = performance.now() + options.idleMs; performance.now() < until; ) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    settledKiB = Math.min(settledKiB, await rotor.statusKiB('VmRSS'));
  }
  const peakKiB = await rotor.statusKiB('VmHWM');
  await rotor.stop();
  return {
    startS: rotor.startS,
    peakRssMiB: Math.round(peakKiB / 1024),
    settledRssMiB: Math.round(settledKiB / 1024),
  };
}
