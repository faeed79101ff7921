import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerFixtures } from '../providers/all-fixtures.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { dumpKeys, leaksIn } from '../support/redis.js';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;
const GRACE_MS = 500;

describe.each(providerFixtures)('%s: secret values', (_providerId, startFixture) => {
  let world: ProviderWorld;
  let workDir: string;
  let configFile: string;
  let daemon: DaemonProcess | undefined;
  const output: string[] = [];

  beforeAll(async () => {
    world = await startProviderWorld(startFixture);
    const entry = await world.policy('hygiene', {
      gracePeriod: `${GRACE_MS}ms`,
      retry: '{ attempts: 3, backoff: 100ms, maxBackoff: 200ms }',
    });
    workDir = await mkdtemp(join(tmpdir(), 'rotor-hygiene-'));
    configFile = join(workDir, 'rotor.yaml');
    await writeFile(configFile, world.yaml([entry]));
    daemon = await startDaemonProcess(configFile, world.env, output);
  });

  afterAll(async () => {
    await daemon?.stop();
    await world?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function rotateAndWait(): Promise<number> {
    const args = [
      '--import',
      'tsx',
      cli,
      'rotate',
      'hygiene',
      '--wait',
      '--timeout',
      '30s',
      '--config',
      configFile,
    ];
    const result = await run(process.execPath, args, { env: { ...process.env, ...world.env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? -1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }),
    );
    output.push(result.stdout, result.stderr);
    return result.code;
  }

  it('appear nowhere: not in any log line of the daemon or the CLI, not in any Redis key or value', async () => {
    const vendor = world.fixture.server.faults;
    const aws = world.aws.server.faults;
    const issueRoute = world.fixture.issueRoute;
    expect(await rotateAndWait()).toBe(0);
    expect(await rotateAndWait()).toBe(0);
    aws.add({ route: 'PutSecretValue', fault: { kind: 'status', status: 503 }, times: 1 });
    expect(await rotateAndWait()).toBe(0);
    vendor.add({ route: issueRoute, fault: { kind: 'status', status: 401 }, times: 1 });
    expect(await rotateAndWait()).toBe(1);
    vendor.add({ route: issueRoute, fault: { kind: 'malformed' }, times: 1 });
    expect(await rotateAndWait()).toBe(1);
    vendor.add({ route: issueRoute, fault: { kind: 'rate-limit', retryAfterSeconds: 1 }, times: 1 });
    expect(await rotateAndWait()).toBe(0);
    // A permanent AWS failure while staging leaves the issued credential in the (encrypted) journal.
    aws.add({ route: 'PutSecretValue', fault: { kind: 'status', status: 403 }, times: 1 });
    expect(await rotateAndWait()).toBe(1);
    // Let the revokes of displaced credentials (overlap providers) run before the daemon stops.
    await sleep(GRACE_MS * 3);
    await daemon?.stop();
    daemon = undefined;

    const secrets = world.secrets();
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    const logs = output.join('');
    const stored = await dumpKeys(world.redis, world.prefix);
    // The scan means something only if there is something to scan.
    expect(logs).toMatch(/step issue done/);
    expect(logs).toMatch(/rotation failed/);
    expect(stored).toMatch(/failedReason/);
    expect(stored).toMatch(/:journal:/);

    const leaks = leaksIn(secrets, [
      ['the logs', logs],
      ['Redis', stored],
    ]);
    recordFaultOutcome({
      suite: 'secrets hygiene',
      faultsInjected: 5,
      rotationsCompleted: 4,
      credentialsLost: 0,
      duplicateIssues: 0,
      leakedValues: leaks.length,
    });
    expect(leaks).toEqual([]);
  });
});
