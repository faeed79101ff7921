import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { runCli } from '../support/cli-run.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { dumpKeys } from '../support/redis.js';
import { revokesSettled } from '../support/revokes-settled.js';
import { measureOutcome } from '../support/suite-outcome.js';

const GRACE_MS = 500;

describe.each(providerFixtures)('%s: secret values', { timeout: 120_000 }, (_providerId, startFixture) => {
  let world: ProviderWorld;
  let config: RotorConfig;
  let infra: RedisInfrastructure;
  let aws: AwsSecrets;
  let workDir: string;
  let configFile: string;
  let daemon: DaemonProcess | undefined;
  const output: string[] = [];
  /** `rotor rotate --wait`'s exit code for each rotation asked for: 0 when it completed. */
  const exitCodes: number[] = [];

  beforeAll(async () => {
    world = await startProviderWorld(startFixture);
    const entry = await world.policy('hygiene', {
      gracePeriod: `${GRACE_MS}ms`,
      retry: '{ attempts: 3, backoff: 100ms, maxBackoff: 200ms }',
    });
    workDir = await mkdtemp(join(tmpdir(), 'rotor-hygiene-'));
    configFile = join(workDir, 'rotor.yaml');
    await writeFile(configFile, world.yaml([entry]));
    config = await world.config([entry]);
    infra = connectRedis(config);
    aws = new AwsSecrets(world.aws.client);
    daemon = await startDaemonProcess(configFile, world.env, output);
  });

  afterAll(async () => {
    await daemon?.stop();
    await infra?.close();
    aws?.close();
    await world?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function rotateAndWait(): Promise<number> {
    const result = await runCli(configFile, world.env, 'rotate', 'hygiene', '--wait', '--timeout', '30s');
    output.push(result.stdout, result.stderr);
    exitCodes.push(result.code);
    return result.code;
  }

  it('appear nowhere: not in any log line of the daemon or the CLI, not in any Redis key or value', async () => {
    const faults = () =>
      [world.fixture.server, world.aws.server]
        .flatMap((server) => server.calls.all())
        .filter((call) => call.fault).length;
    const vendor = world.fixture.server.faults;
    const awsFaults = world.aws.server.faults;
    const issueRoute = world.fixture.issueRoute;
    const issues = () => world.fixture.server.calls.handled(issueRoute).length;
    expect(await rotateAndWait()).toBe(0);
    expect(await rotateAndWait()).toBe(0);
    awsFaults.add({ route: 'PutSecretValue', fault: { kind: 'status', status: 503 }, times: 1 });
    expect(await rotateAndWait()).toBe(0);
    vendor.add({ route: issueRoute, fault: { kind: 'status', status: 401 }, times: 1 });
    expect(await rotateAndWait()).toBe(1);
    vendor.add({ route: issueRoute, fault: { kind: 'malformed' }, times: 1 });
    expect(await rotateAndWait()).toBe(1);
    vendor.add({ route: issueRoute, fault: { kind: 'rate-limit', retryAfterSeconds: 1 }, times: 1 });
    expect(await rotateAndWait()).toBe(0);
    // A permanent AWS failure while staging leaves the issued credential in the (encrypted) journal…
    awsFaults.add({ route: 'PutSecretValue', fault: { kind: 'status', status: 403 }, times: 1 });
    expect(await rotateAndWait()).toBe(1);
    const stored = await dumpKeys(world.redis, world.prefix);
    // … and the next rotation stages that credential instead of issuing another.
    const issuedBefore = issues();
    expect(await rotateAndWait()).toBe(0);
    expect(issues()).toBe(issuedBefore);
    // The revokes of the displaced credentials (overlap providers) run before the daemon stops.
    await revokesSettled(infra.queue);
    await daemon?.stop();
    daemon = undefined;

    const logs = output.join('');
    // The scan means something only if there is something to scan.
    expect(logs).toMatch(/step issue done/);
    expect(logs).toMatch(/rotation failed/);
    expect(stored).toMatch(/failedReason/);
    expect(stored).toMatch(/:journal:/);

    const measured = await measureOutcome({
      world,
      aws,
      policies: config.policies,
      texts: [
        ['the logs', logs],
        ['Redis while the journal held a credential', stored],
      ],
    });
    recordFaultOutcome({
      suite: 'secrets hygiene',
      // Each fault the emulators answered with (the 503 and the 429 are retried: one fault, one completion).
      faultsInjected: faults(),
      rotationsCompleted: exitCodes.filter((code) => code === 0).length,
      ...measured.columns,
    });
    expect(measured.leaks).toEqual([]);
    expect(measured.lost).toEqual([]);
    expect(measured.extraLive).toEqual([]);
  });
});
