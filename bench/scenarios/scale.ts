import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis } from '../../src/daemon/redis-infrastructure.js';
import { reconcileSchedulers } from '../../src/queue/scheduler-reconcile.js';
import { startCloudflareFixture } from '../../test/providers/cloudflare.fixture.js';
import type { BenchContext } from '../bench-context.js';
import { usedMemory } from '../bench-redis.js';
import { openBenchWorld } from '../bench-world.js';
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
}

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

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
      await reconcileSchedulers(infra.queue, config.policies, Date.now());
      cold.push((performance.now() - started) / 1000);
      bytes.push(((await usedMemory(infra.redis)) - before) / count);
      ctx.progress(`  cold reconcile ${cold.at(-1)?.toFixed(1)} s`);
    }
    const warm: number[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const changes = await reconcileSchedulers(infra.queue, config.policies, Date.now());
      warm.push((performance.now() - started) / 1000);
      if (changes.some((change) => change.action !== 'unchanged'))
        throw new Error('a warm reconcile changed something');
    }
    ctx.progress(`  warm reconcile ${warm.map((s) => s.toFixed(2)).join(', ')} s; starting rotor`);
    await infra.queue.obliterate({ force: true });
    await infra.close();

    const daemon = await measureDaemon(configFile, world.env, ctx.quick ? 20_000 : 60_000);
    return {
      policies: count,
      configLoadS: figure(loads),
      coldReconcileS: figure(cold),
      warmReconcileS: figure(warm),
      redisBytesPerPolicy: figure(bytes),
      ...daemon,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
    await world.close();
  }
}

/** Starts `rotor start`, waits for "rotor started", watches its resident memory while idle, stops it. */
async function measureDaemon(
  configFile: string,
  env: Readonly<Record<string, string>>,
  idleMs: number,
): Promise<{ daemonStartS: number; daemonPeakRssMiB: number; daemonSettledRssMiB: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'start', '--config', configFile], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4096);
      if (output.includes('"msg":"rotor started"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`rotor start exited with ${code}: ${output}`)));
  });
  const daemonStartS = (performance.now() - started) / 1000;
  const statusKiB = async (field: 'VmRSS' | 'VmHWM') => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  };
  let settledKiB = Number.POSITIVE_INFINITY;
  for (const until = performance.now() + idleMs; performance.now() < until; ) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    settledKiB = Math.min(settledKiB, await statusKiB('VmRSS'));
  }
  const peakKiB = await statusKiB('VmHWM');
  child.kill('SIGTERM');
  await exited;
  return {
    daemonStartS,
    daemonPeakRssMiB: Math.round(peakKiB / 1024),
    daemonSettledRssMiB: Math.round(settledKiB / 1024),
  };
}
