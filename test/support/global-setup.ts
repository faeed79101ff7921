import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { faultSummary } from './fault-summary.js';

/**
 * Redis for integration suites: REDIS_URL when set (CI and this machine: the local redis-server),
 * otherwise a throwaway container when a Docker engine answers, otherwise the default local Redis.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env.REDIS_URL;
  let stop: (() => Promise<unknown>) | undefined;
  if (!url) {
    try {
      const { RedisContainer } = await import('@testcontainers/redis');
      const container = await new RedisContainer('redis:7.4-alpine').start();
      url = container.getConnectionUrl();
      stop = () => container.stop();
    } catch {
      url = 'redis://127.0.0.1:6379';
    }
  }
  project.provide('redisUrl', url);
  const ledgerDir = mkdtempSync(join(tmpdir(), 'rotor-faults-'));
  const ledger = join(ledgerDir, 'ledger.jsonl');
  project.provide('faultLedger', ledger);
  return async () => {
    const summary = faultSummary(ledger);
    if (summary) process.stdout.write(`\n${summary}\n`);
    rmSync(ledgerDir, { recursive: true, force: true });
    await stop?.();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** JSON lines of the fault suites' outcomes (test/support/fault-ledger.ts). */
    faultLedger: string;
  }
}
