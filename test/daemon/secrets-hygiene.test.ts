import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { type EmulatedWorld, startEmulatedWorld } from '../support/emulated-world.js';
import { dumpKeys, leakForms } from '../support/redis.js';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;
const HOUR = 3_600_000;

let world: EmulatedWorld;
let workDir: string;
let configFile: string;
let daemon: DaemonProcess | undefined;
let seededSecrets: string[] = [];
const output: string[] = [];

beforeAll(async () => {
  world = await startEmulatedWorld();
  const rotating = world.cloudflare.seedToken({ name: 'hygiene-rotate', duration: '8760h' });
  const refreshing = world.cloudflare.seedToken({ name: 'hygiene-refresh', duration: '720h' });
  seededSecrets = [rotating.clientSecret, refreshing.clientSecret];
  // An operator stored the refresh policy's credential before rotor took the secret over.
  world.aws.store.create({
    name: 'hygiene/refresh',
    tags: new Map(),
    clientRequestToken: '0f0e0d0c-0b0a-4908-8706-050403020100',
    value: {
      kind: 'string',
      text: JSON.stringify({
        serviceTokenId: refreshing.id,
        clientId: refreshing.clientId,
        clientSecret: refreshing.clientSecret,
        expiresAt: new Date(Date.now() + 720 * HOUR).toISOString(),
      }),
    },
  });
  const policies = `
    - id: hygiene-rotate
      connection: cf
      action: rotate
      target: { serviceTokenId: ${rotating.id} }
      schedule: { manualOnly: true }
      verify: { url: ${world.cloudflare.client.accessUrl} }
      secret: { id: hygiene/rotate }
      retry: { attempts: 3, backoff: 100ms, maxBackoff: 200ms }
    - id: hygiene-refresh
      connection: cf
      action: refresh
      target: { serviceTokenId: ${refreshing.id} }
      schedule: { manualOnly: true }
      secret: { id: hygiene/refresh, adopt: true }
      retry: { attempts: 2, backoff: 100ms, maxBackoff: 200ms }
  `;
  workDir = await mkdtemp(join(tmpdir(), 'rotor-hygiene-'));
  configFile = join(workDir, 'rotor.yaml');
  await writeFile(configFile, world.yaml(policies));
  daemon = await startDaemonProcess(configFile, world.env, output);
});

afterAll(async () => {
  await daemon?.stop();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

async function rotateAndWait(policyId: string): Promise<number> {
  const result = await run(
    process.execPath,
    ['--import', 'tsx', cli, 'rotate', policyId, '--wait', '--timeout', '30s', '--config', configFile],
    { env: { ...process.env, ...world.env } },
  ).then(
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

describe('secret values', () => {
  it('appear nowhere: not in any log line of the daemon or the CLI, not in any Redis key or value', async () => {
    const cf = world.cloudflare.server.faults;
    const aws = world.aws.server.faults;
    expect(await rotateAndWait('hygiene-rotate')).toBe(0);
    aws.add({ route: 'PutSecretValue', fault: { kind: 'status', status: 503 }, times: 1 });
    expect(await rotateAndWait('hygiene-rotate')).toBe(0);
    cf.add({ route: 'accessApplication', fault: { kind: 'status', status: 403 }, times: 1 });
    expect(await rotateAndWait('hygiene-rotate')).toBe(1);
    expect(await rotateAndWait('hygiene-rotate')).toBe(0);
    cf.add({ route: 'rotateServiceToken', fault: { kind: 'malformed' }, times: 1 });
    expect(await rotateAndWait('hygiene-rotate')).toBe(1);
    cf.add({ route: 'rotateServiceToken', fault: { kind: 'rate-limit', retryAfterSeconds: 1 }, times: 1 });
    expect(await rotateAndWait('hygiene-rotate')).toBe(0);
    // A permanent AWS failure while staging leaves the issued credential in the (encrypted) journal.
    aws.add({ route: 'PutSecretValue', fault: { kind: 'status', status: 403 }, times: 1 });
    expect(await rotateAndWait('hygiene-rotate')).toBe(1);
    expect(await rotateAndWait('hygiene-refresh')).toBe(0);
    cf.add({ route: 'refreshServiceToken', fault: { kind: 'status', status: 401 }, times: 1 });
    expect(await rotateAndWait('hygiene-refresh')).toBe(1);
    await daemon?.stop();
    daemon = undefined;

    const secrets = [...world.cloudflare.store.mintedSecrets(), ...seededSecrets, ...world.adminSecrets];
    expect(world.cloudflare.store.mintedSecrets().length).toBeGreaterThanOrEqual(6);
    const logs = output.join('');
    const stored = await dumpKeys(world.redis, world.prefix);
    // The scan is only meaningful if there is something to scan.
    expect(logs).toMatch(/step issue done/);
    expect(logs).toMatch(/rotation failed/);
    expect(stored).toMatch(/failedReason/);
    expect(stored).toMatch(/:journal:/);

    const leaks = secrets.flatMap((secret, index) =>
      leakForms(secret).flatMap((form) => [
        ...(logs.includes(form) ? [`secret #${index} in the logs`] : []),
        ...(stored.includes(form) ? [`secret #${index} in Redis`] : []),
      ]),
    );
    expect(leaks).toEqual([]);
  });
});
