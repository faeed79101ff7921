import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudflareFixture } from '../providers/cloudflare.fixture.js';
import { Scene } from '../support/daemon-scene.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { freePort } from '../support/free-port.js';
import { openProviderWorld } from '../support/open-provider-world.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import type { Place } from '../support/suite-outcome.js';

const PREFIX = 'rotor-restart';
const API_TOKEN_ENV = 'RESTART_API_TOKEN';

interface LogEntry {
  readonly msg?: string;
  readonly runId?: string;
}

/** This suite's own Redis (AOF on, another port): restarting the shared one would break other suites. */
let redisServer: RedisServer | undefined;
let scene: Scene;
let apiUrl: string;
const apiToken = randomBytes(24).toString('base64url');
/** Every answer the API gave the suite, scanned for secrets with everything else. */
const answers: Place[] = [];

async function api(path: string, bearer = true): Promise<{ status: number; body: unknown } | undefined> {
  const response = await fetch(`${apiUrl}${path}`, {
    ...(bearer ? { headers: { authorization: `Bearer ${apiToken}` } } : {}),
  }).catch(() => undefined);
  if (!response) return undefined;
  const text = await response.text();
  answers.push([`the API's answer to ${path}`, text]);
  return { status: response.status, body: JSON.parse(text) as unknown };
}

/** The daemon's log lines (pino JSON): what an operator reads of its runs. */
const logEntries = (): LogEntry[] =>
  scene.output
    .join('')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogEntry];
      } catch {
        return [];
      }
    });
const runsLogged = (msg: string) =>
  logEntries()
    .filter((entry) => entry.msg === msg)
    .map((entry) => entry.runId ?? '');

beforeAll(async () => {
  const redis = await startRedisServer({ appendOnly: true });
  redisServer = redis;
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  // The outage is the point of this suite: the client reconnects when Redis is back.
  client.on('error', () => undefined);
  const world = await openProviderWorld(
    { redis: client, prefix: PREFIX, url: redis.url, cleanup: async () => client.disconnect() },
    [startCloudflareFixture],
  );
  const entry = await world.policy('ticking', { schedule: '{ every: 1s }' });
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  scene = await Scene.open(
    world,
    [entry],
    {
      api: `port: ${apiPort}\ntokens: [{ env: ${API_TOKEN_ENV} }]`,
      worker: 'lockDuration: 5s\nstalledInterval: 2s',
    },
    { [API_TOKEN_ENV]: apiToken },
  );
  for (const emitter of [scene.infra.redis, scene.infra.queueConnection, scene.infra.queue])
    emitter.on('error', () => undefined);
  await scene.startDaemon();
});

afterAll(async () => {
  await scene?.close();
  await redisServer?.close();
});

describe('a Redis restart', () => {
  it('reports not ready meanwhile, then keeps the schedule and runs no rotation twice', {
    timeout: 90_000,
  }, async () => {
    await eventually('two scheduled rotations', () =>
      runsLogged('rotation succeeded').length >= 2 ? true : undefined,
    );

    await redisServer?.stop();
    const readiness = await eventually('/readyz to report the outage', async () => {
      const answer = await api('/readyz', false);
      return answer?.status === 503 ? (answer.body as { problems: string[] }) : undefined;
    });
    expect(readiness.problems.join(' ')).toMatch(/redis/);

    await redisServer?.start();
    const before = runsLogged('rotation succeeded').length;
    await eventually('two more scheduled rotations after the restart', () =>
      runsLogged('rotation succeeded').length >= before + 2 ? true : undefined,
    );
    expect((await api('/readyz', false))?.status).toBe(200);
    const described = (await api('/v1/policies/ticking'))?.body as { policy: { nextRunAt?: number } };
    expect(described.policy.nextRunAt).toEqual(expect.any(Number));

    // The daemon stops before the count, so no rotation runs between AWS's answer and the vendor's.
    await scene.stopDaemon();
    const runs = runsLogged('rotation succeeded');
    // Attempts that failed (e.g. while Redis was down), each of which may have issued before failing.
    const failed = runsLogged('rotation failed').length;
    const vendor = scene.world.fixture;
    const issued = vendor.server.calls.handled(vendor.issueRoute).length;
    const measured = await scene.outcome(scene.config.policies, answers);
    recordFaultOutcome({
      suite: 'redis restart',
      faultsInjected: 1,
      rotationsCompleted: runs.length,
      ...measured.columns,
    });
    expect(new Set(runs).size).toBe(runs.length);
    expect(issued).toBeGreaterThanOrEqual(runs.length);
    expect(issued).toBeLessThanOrEqual(runs.length + failed);
    expect(measured.lost).toEqual([]);
    expect(measured.extraLive).toEqual([]);
    expect(measured.leaks).toEqual([]);
  });
});
