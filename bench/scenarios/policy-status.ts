import { randomUUID } from 'node:crypto';
import { connectRedis } from '../../src/daemon/redis-infrastructure.js';
import type { PolicyRecord } from '../../src/domain/policy-record.js';
import { stateKeys } from '../../src/state/redis-keys.js';
import { startCloudflareFixture } from '../../test/providers/cloudflare.fixture.js';
import type { BenchContext } from '../bench-context.js';
import { openBenchWorld, type ProviderWorld, startRotor } from '../bench-world.js';
import { type Figure, figure, percentile, sortedCopy } from '../stats.js';

export interface PolicyStatusResult {
  readonly policies: number;
  /** Jobs waiting or delayed on the queue while measured: each policy's next scheduled trigger. */
  readonly queuedJobs: number;
  readonly requestsPerRun: number;
  /** Milliseconds per `GET /v1/policies/:id` of a random policy, one request at a time on loopback. */
  readonly latencyMs: { readonly p50: Figure; readonly p99: Figure; readonly max: Figure };
}

const RECORD_BATCH = 1_000;

/** Every policy rotated once already, so `rotor start` finds nothing to rotate or rebuild. */
async function seedRecords(world: ProviderWorld, ids: readonly string[], nowMs: number): Promise<void> {
  for (let start = 0; start < ids.length; start += RECORD_BATCH) {
    const pairs = ids.slice(start, start + RECORD_BATCH).flatMap((policyId) => {
      const record: PolicyRecord = {
        policyId,
        revision: 1,
        consecutiveFailures: 0,
        lastSuccessAt: nowMs,
        lastAttemptAt: nowMs,
        current: { runId: `${policyId}-m${nowMs}`, handle: randomUUID(), versionId: randomUUID() },
      };
      return [stateKeys.record(world.prefix, policyId), JSON.stringify(record)];
    });
    await world.redis.mset(...pairs);
  }
}

/**
 * A fleet of daily cron policies, each with a record and a Job Scheduler (so the queue holds one delayed
 * trigger per policy), served by `rotor start` in this process: the latency of one policy's status through
 * the HTTP API, which reads that policy's keys by id whatever the queue holds. The schedules fire twelve
 * hours from now, so nothing runs meanwhile.
 */
export async function policyStatus(ctx: BenchContext): Promise<PolicyStatusResult> {
  const count = ctx.quick ? 5_000 : 100_000;
  const perRun = ctx.quick ? 200 : 500;
  const world = await openBenchWorld(ctx.redisUrl, [startCloudflareFixture]);
  try {
    ctx.progress(`policy-status: ${count} policies, ${ctx.runs} runs of ${perRun} requests`);
    const hour = (new Date().getUTCHours() + 12) % 24;
    const ids = Array.from({ length: count }, (_, index) => `status-${index}`);
    const entries = ids.map((id, index) =>
      [
        `- id: ${id}`,
        '  connection: cloudflare',
        '  action: rotate',
        `  target: { serviceTokenId: ${randomUUID()} }`,
        `  schedule: { cron: "${index % 60} ${hour} * * *" }`,
        `  secret: { id: status/${index} }`,
      ].join('\n'),
    );
    // The API token: a random value the world's environment already holds (its config takes references only).
    const tokenEnv = 'WORLD_WEBHOOK_SECRET';
    const token = world.env[tokenEnv] ?? '';
    const config = await world.config(entries, {
      api: `host: 127.0.0.1\nport: 0\ntokens:\n  - { env: ${tokenEnv} }`,
    });
    await seedRecords(world, ids, Date.now());
    const infra = connectRedis(config);
    const daemon = await startRotor(config);
    const base = daemon.apiUrl ?? '';
    const counts = await infra.queue.getJobCounts('waiting', 'delayed', 'prioritized');
    const queued = Object.values(counts).reduce((sum, n) => sum + n, 0);
    ctx.progress(`  rotor started; ${queued} jobs queued`);

    const statusOf = async (policyId: string): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${base}/v1/policies/${policyId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await response.json()) as { policy?: { policyId?: string } };
      const ms = performance.now() - started;
      if (response.status !== 200 || body.policy?.policyId !== policyId)
        throw new Error(`GET /v1/policies/${policyId} answered ${response.status}`);
      return ms;
    };
    const randomId = () => ids[Math.floor(Math.random() * ids.length)] ?? 'status-0';
    for (let warm = 0; warm < 20; warm++) await statusOf(randomId());

    const p50: number[] = [];
    const p99: number[] = [];
    const max: number[] = [];
    for (let run = 0; run < ctx.runs; run++) {
      const samples: number[] = [];
      for (let request = 0; request < perRun; request++) samples.push(await statusOf(randomId()));
      const sorted = sortedCopy(samples);
      p50.push(percentile(sorted, 50));
      p99.push(percentile(sorted, 99));
      max.push(sorted[sorted.length - 1] ?? Number.NaN);
      ctx.progress(`  run ${run + 1}: p50 ${p50.at(-1)?.toFixed(1)} ms, p99 ${p99.at(-1)?.toFixed(1)} ms`);
    }
    await daemon.stop();
    await infra.close();
    return {
      policies: count,
      queuedJobs: queued,
      requestsPerRun: perRun,
      latencyMs: { p50: figure(p50), p99: figure(p99), max: figure(max) },
    };
  } finally {
    await world.close();
  }
}
