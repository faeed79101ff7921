import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_QUEUE } from '../../src/alerts/alert-jobs.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { startDaemon } from '../../src/daemon/start-daemon.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { type EmulatedWorld, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { memoryLogger } from '../support/memory-log.js';

let world: EmulatedWorld;
let infra: RedisInfrastructure;
let alertQueue: Queue;
let policy: string;
let taken: Server;
let takenPort: number;
let workDir: string;

/** A port something else listens on: a daemon told to use it cannot start its API there. */
async function holdPort(): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port };
}

const sections = (apiPort: number) => ({
  api: `port: ${apiPort}\ntokens: [{ env: API_TOKEN_A }]`,
  alerts: 'endpoints:\n  - { name: ops, url: "http://127.0.0.1:9/hook", secret: { env: WEBHOOK_SECRET } }',
});
/** rotor's connections to Redis for the suite's prefix (rotor names them), the suite's own included. */
const rotorClients = async () =>
  ((await infra.redis.client('LIST')) as string)
    .split('\n')
    .filter((client) => client.includes(` name=rotor:${infra.prefix} `)).length;
/** Workers connected to the rotation queue and to the alert queue (BullMQ names their connections). */
const workers = async () => ({
  rotations: (await infra.queue.getWorkers()).length,
  alerts: (await alertQueue.getWorkers()).length,
});

beforeAll(async () => {
  world = await startEmulatedWorld();
  const token = world.cloudflare.seedToken({ name: 'transactional', duration: '8760h' });
  policy = `
    - id: transactional
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { every: 1d }
      secret: { id: transactional/cloudflare-access }`;
  const config = await world.config(policy);
  infra = connectRedis(config);
  alertQueue = new Queue(ALERT_QUEUE, { connection: infra.queueConnection, prefix: config.redis.prefix });
  ({ server: taken, port: takenPort } = await holdPort());
  workDir = await mkdtemp(join(tmpdir(), 'rotor-transactional-'));
});

afterAll(async () => {
  await new Promise<void>((resolve) => taken?.close(() => resolve()));
  await alertQueue?.close();
  await infra?.close();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('start-up and reload are transactional', { timeout: 60_000 }, () => {
  it('a start that fails part-way (its API port is taken) closes everything it opened: no worker left taking jobs, no connection left open; a stopped daemon leaves none either', async () => {
    const config = await world.config(policy, sections(takenPort));

    const suiteOwn = await rotorClients();
    await expect(startDaemon(config, { log: memoryLogger().log })).rejects.toThrow(/EADDRINUSE/);
    await eventually('the failed start’s connections to close', async () =>
      (await rotorClients()) === suiteOwn ? true : undefined,
    );

    // A daemon that starts properly afterwards is then the only one connected to either queue.
    const running = await startDaemon(await world.config(policy, sections(await freePort())), {
      log: memoryLogger().log,
    });
    try {
      await eventually('the running daemon’s workers to connect', async () => {
        const connected = await workers();
        return connected.rotations >= 1 && connected.alerts >= 1 ? true : undefined;
      });
      expect(await workers()).toEqual({ rotations: 1, alerts: 1 });
    } finally {
      await running.stop();
    }
    // A stopped daemon (as a reloaded one) leaves no connection open either.
    await eventually('the stopped daemon’s connections to close', async () =>
      (await rotorClients()) === suiteOwn ? true : undefined,
    );
  });

  it('a reload whose new API address is taken is refused: the running daemon goes on exactly as it was, one worker, its API answering', async () => {
    const apiPort = await freePort();
    const configFile = join(workDir, 'rotor.yaml');
    await writeFile(configFile, world.yaml(policy, sections(apiPort)));
    let daemon: DaemonProcess | undefined = await startDaemonProcess(configFile, world.env);
    try {
      await eventually('the worker to connect', async () =>
        (await workers()).rotations >= 1 ? true : undefined,
      );
      await writeFile(configFile, world.yaml(policy, sections(takenPort)));

      daemon.child.kill('SIGHUP');

      await eventually('the refusal', () =>
        daemon?.output().includes('config reload refused: the new config’s API address cannot be listened on')
          ? true
          : undefined,
      );
      const health = await fetch(`http://127.0.0.1:${apiPort}/healthz`);
      expect(health.status).toBe(200);
      expect(await workers()).toEqual({ rotations: 1, alerts: 1 });
      expect(daemon.output()).not.toContain('stopping: waiting for in-flight steps');
      expect(await daemon.stop()).toBe(0);
      daemon = undefined;
    } finally {
      await daemon?.stop();
    }
  });
});
