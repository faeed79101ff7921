import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { type EmulatedWorld, policyNamed, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { finishedJob } from '../support/finished-job.js';
import { freePort } from '../support/free-port.js';

const MAX_CONNECTIONS = 100;
// The setting: a daemon that may hold 256 files and sockets, its own included.
const OPEN_FILE_LIMIT = 256;
/** Bounds a broken test only: the configured timeouts are 2 and 3 seconds. */
const DEADLINE_MS = 30_000;

let world: EmulatedWorld;
let config: RotorConfig;
let infra: RedisInfrastructure;
let daemon: DaemonProcess | undefined;
let workDir: string;
let apiPort: number;
const output: string[] = [];

beforeAll(async () => {
  world = await startEmulatedWorld();
  const token = world.cloudflare.seedToken({ name: 'edges', duration: '8760h' });
  apiPort = await freePort();
  const policies = `
    - id: edges
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { manualOnly: true }
      secret: { id: api/edges }
  `;
  const api = [
    'host: 127.0.0.1',
    `port: ${apiPort}`,
    'tokens: [{ name: edge-tests, token: { env: API_TOKEN_A } }]',
    'headersTimeout: 2s',
    'requestTimeout: 3s',
    'keepAliveTimeout: 2s',
    'connectionTimeout: 10s',
    `maxConnections: ${MAX_CONNECTIONS}`,
  ].join('\n');
  config = await world.config(policies, { api });
  workDir = await mkdtemp(join(tmpdir(), 'rotor-api-edges-'));
  await writeFile(join(workDir, 'rotor.yaml'), world.yaml(policies, { api }));
  infra = connectRedis(config);
  daemon = await startDaemonProcess(join(workDir, 'rotor.yaml'), world.env, output, {
    openFileLimit: OPEN_FILE_LIMIT,
  });
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** A raw client connection to the API, never closed by the test until the end: who closes it is the server. */
interface ClientSocket {
  readonly socket: Socket;
  /** What the server sent before it closed the connection. */
  received: string;
  closed: boolean;
}

async function open(send: string): Promise<ClientSocket> {
  const socket = connect({ host: '127.0.0.1', port: apiPort });
  const client: ClientSocket = { socket, received: '', closed: false };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    client.received += chunk;
  });
  // A server that closes first may answer the next write with EPIPE or a reset: that is the point.
  socket.on('error', () => {});
  socket.on('close', () => {
    client.closed = true;
  });
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', () => resolve());
  });
  if (!client.closed) socket.write(send);
  return client;
}

/** Sends one more byte of the body every second until the server closes the connection. */
function trickle(client: ClientSocket): void {
  const timer = setInterval(() => {
    if (client.closed) clearInterval(timer);
    else client.socket.write(' ');
  }, 1_000);
  client.socket.on('close', () => clearInterval(timer));
}

async function allClosed(clients: readonly ClientSocket[]): Promise<void> {
  await eventually(
    'the server to close every connection',
    () => (clients.every((client) => client.closed) ? true : undefined),
    DEADLINE_MS,
  );
}

describe('slow and idle clients', { timeout: 3 * DEADLINE_MS }, () => {
  it('closes 200 half-sent headers, 50 trickling bodies and idle keep-alive connections, and a rotation asked for meanwhile succeeds', async () => {
    const token = world.env.API_TOKEN_A ?? '';
    // Keep-alive connections that got their answer and then say nothing.
    const idle = await Promise.all(
      Array.from({ length: 10 }, () => open('GET /healthz HTTP/1.1\r\nHost: rotor\r\n\r\n')),
    );
    await eventually('the keep-alive answers', () =>
      idle.every((client) => client.received.startsWith('HTTP/1.1 200')) ? true : undefined,
    );
    // Complete headers, then a body of 1000 bytes at one byte a second.
    const trickling = await Promise.all(
      Array.from({ length: 50 }, () =>
        open(
          'POST /v1/policies/edges/rotations HTTP/1.1\r\nHost: rotor\r\n' +
            `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
        ),
      ),
    );
    for (const client of trickling) trickle(client);
    // Half a header each, never finished.
    const halfHeaders = await Promise.all(
      Array.from({ length: 200 }, () => open('GET /healthz HTTP/1.1\r\nHost: rot')),
    );

    const { jobId } = await requestRotation(infra.queue, policyNamed(config, 'edges'), 'manual', {
      nowMs: Date.now(),
    });
    const job = await finishedJob(infra.queue, jobId, DEADLINE_MS);

    expect(await job.getState(), job.failedReason).toBe('completed');
    const clients = [...idle, ...trickling, ...halfHeaders];
    await allClosed(clients);
    // None of them ever got to start a rotation.
    expect((await infra.history.recent('edges')).map((entry) => entry.runId)).toEqual([jobId]);
  });

  it(`closes connections beyond ${MAX_CONNECTIONS} at once, unanswered, and answers again once the held ones are closed`, async () => {
    const held = await Promise.all(
      Array.from({ length: MAX_CONNECTIONS + 50 }, () => open('GET /healthz HTTP/1.1\r\nHost: rot')),
    );

    await allClosed(held);

    // Within the cap, the headers timeout answers 408 and closes; beyond it, Node closes at once, unanswered.
    const unanswered = held.filter((client) => client.received === '');
    expect(unanswered.length).toBeGreaterThanOrEqual(50);
    expect(held.filter((client) => client.received.startsWith('HTTP/1.1 408')).length).toBeLessThanOrEqual(
      MAX_CONNECTIONS,
    );
    const after = await open('GET /healthz HTTP/1.1\r\nHost: rotor\r\nConnection: close\r\n\r\n');
    await allClosed([after]);
    expect(after.received).toMatch(/^HTTP\/1\.1 200/);
  });
});
