import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schedulerIdFor } from '../../src/queue/job-payloads.js';
import { ROTATION_QUEUE } from '../../src/queue/queue-name.js';
import { RunHistory } from '../../src/state/run-history.js';
import { accessAdmits } from '../support/access-probe.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { type EmulatedWorld, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { freePort } from '../support/free-port.js';
import { dumpKeys, leaksIn } from '../support/redis.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

let world: EmulatedWorld;
let workDir: string;
/** This suite's own Redis (AOF on, another port): restarting the shared one would break other suites. */
let redisServer: RedisServer | undefined;
let apiPort: number;
let daemon: DaemonProcess | undefined;
let client: Redis;
let history: RunHistory;
const PREFIX = 'rotor-restart';

const succeeded = async () =>
  (await history.recent('ticking')).filter((entry) => entry.outcome === 'succeeded');

beforeAll(async () => {
  world = await startEmulatedWorld();
  workDir = await mkdtemp(join(tmpdir(), 'rotor-restart-'));
  apiPort = await freePort();
  const redis = await startRedisServer({ appendOnly: true });
  redisServer = redis;
  const token = world.cloudflare.seedToken({ name: 'ticking', duration: '8760h' });
  const yaml = world
    .yaml(
      `
    - id: ticking
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { every: 1s }
      secret: { id: restart/ticking }
    `,
      {
        api: `port: ${apiPort}\ntokens: [{ env: API_TOKEN_A }]`,
        worker: 'lockDuration: 5s\nstalledInterval: 2s',
      },
    )
    .replace(`url: ${world.redisUrl}`, `url: ${redis.url}`)
    .replace(`prefix: ${world.prefix}`, `prefix: ${PREFIX}`);
  const configFile = join(workDir, 'rotor.yaml');
  await writeFile(configFile, yaml);
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  // The outage is the point of this suite: the client reconnects when Redis is back.
  client.on('error', () => undefined);
  history = new RunHistory(client, PREFIX);
  daemon = await startDaemonProcess(configFile, world.env);
});

afterAll(async () => {
  await daemon?.stop();
  client?.disconnect();
  await redisServer?.close();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('a Redis restart', () => {
  it('reports not ready meanwhile, then keeps the schedule and runs no rotation twice', async () => {
    await eventually('two scheduled rotations', async () =>
      (await succeeded()).length >= 2 ? true : undefined,
    );

    await redisServer?.stop();
    const readiness = await eventually('/readyz to report the outage', async () => {
      const response = await fetch(`http://127.0.0.1:${apiPort}/readyz`).catch(() => undefined);
      if (response?.status !== 503) return undefined;
      return (await response.json()) as { problems: string[] };
    });
    expect(readiness.problems.join(' ')).toMatch(/redis/);

    await redisServer?.start();
    const before = (await succeeded()).length;
    await eventually('two more scheduled rotations after the restart', async () =>
      (await succeeded()).length >= before + 2 ? true : undefined,
    );
    const response = await fetch(`http://127.0.0.1:${apiPort}/readyz`);
    expect(response.status).toBe(200);

    const runs = await succeeded();
    expect(new Set(runs.map((entry) => entry.runId)).size).toBe(runs.length);
    const scheduler = await client.hgetall(`${PREFIX}:${ROTATION_QUEUE}:repeat:${schedulerIdFor('ticking')}`);
    expect(Object.keys(scheduler).length).toBeGreaterThan(0);
    const issued = world.cloudflare.server.calls.handled('rotateServiceToken').length;
    const failed = (await history.recent('ticking')).filter((entry) => entry.outcome === 'failed').length;
    const current = JSON.parse(world.aws.store.valueOf('restart/ticking') ?? '{}') as {
      clientId: string;
      clientSecret: string;
    };
    const leaks = leaksIn(
      [...world.adminSecrets, ...world.cloudflare.store.mintedSecrets()],
      [
        ['the daemon output', daemon?.output() ?? ''],
        ['Redis', await dumpKeys(client, PREFIX)],
      ],
    );
    recordFaultOutcome({
      suite: 'redis restart',
      faultsInjected: 1,
      rotationsCompleted: runs.length,
      credentialsLost: (await accessAdmits(world.cloudflare.client.accessUrl ?? '', current)) ? 0 : 1,
      duplicateIssues: Math.max(issued - runs.length - failed, 0),
      leakedValues: leaks.length,
    });
    expect(issued).toBeGreaterThanOrEqual(runs.length);
    expect(issued).toBeLessThanOrEqual(runs.length + failed);
    expect(daemon?.child.exitCode).toBeNull();
  });
});
