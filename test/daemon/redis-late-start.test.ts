import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudflareFixture } from '../providers/cloudflare.fixture.js';
import { Scene } from '../support/daemon-scene.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { openProviderWorld } from '../support/open-provider-world.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

const API_TOKEN = 'late-redis-suite-api-token-0123456789abcdef';

let redisPort: number;
let redis: RedisServer | undefined;
let scene: Scene;
let apiUrl: string;

beforeAll(async () => {
  // The port the daemon is told to use; nothing listens on it until the test starts Redis there.
  redisPort = await freePort();
  const worldRedis = new Redis(redisPort, '127.0.0.1', { maxRetriesPerRequest: null, lazyConnect: true });
  worldRedis.on('error', () => undefined);
  const world = await openProviderWorld(
    {
      redis: worldRedis,
      prefix: 'rotor-late',
      url: `redis://127.0.0.1:${redisPort}`,
      cleanup: async () => worldRedis.disconnect(),
    },
    [startCloudflareFixture],
  );
  const entry = await world.policy('late-redis');
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  scene = await Scene.open(
    world,
    [entry],
    { api: `port: ${apiPort}\ntokens: [{ env: LATE_API_TOKEN }]` },
    { LATE_API_TOKEN: API_TOKEN },
  );
}, 60_000);

afterAll(async () => {
  await scene?.close();
  await redis?.close();
});

describe('Redis unreachable at start', { timeout: 120_000 }, () => {
  it('is a wait, not a failed start: the API answers 503 redis-unreachable, one clear line says which Redis rotor waits for, and once Redis answers the daemon starts working', async () => {
    await scene.startDaemon({ waitForStart: false });
    const startedAt = Date.now();
    const probe = async () => {
      const response = await fetch(`${apiUrl}/readyz`).catch(() => undefined);
      return response === undefined ? undefined : { status: response.status, body: await response.json() };
    };
    const unready = await eventually('the API to answer while Redis is unreachable', probe);
    // Long enough for ioredis to fail dozens of reconnects (it retries within milliseconds at first).
    await eventually('several reconnect attempts', async () =>
      (scene.output.join('').match(/is unreachable/g)?.length ?? 0) >= 1 && Date.now() - startedAt > 3_000
        ? true
        : undefined,
    );
    const waitingOutput = scene.output.join('');

    redis = await startRedisServer({ port: redisPort });
    const ready = await eventually('the daemon to be ready once Redis answers', async () => {
      const answer = await probe();
      return answer?.status === 200 ? answer : undefined;
    });
    await eventually('the daemon to say it started', async () =>
      scene.output.join('').includes('"msg":"rotor started"') ? true : undefined,
    );
    const [policy] = scene.config.policies;
    if (!policy) throw new Error('the suite has one policy');
    await scene.rotate(policy);

    expect(unready.status).toBe(503);
    expect(unready.body).toMatchObject({
      status: 'unready',
      problems: expect.arrayContaining(['redis-unreachable']),
    });
    expect(waitingOutput.match(/is unreachable/g)).toHaveLength(1);
    expect(waitingOutput).toContain(
      `Redis redis://127.0.0.1:${redisPort}/0 prefix rotor-late is unreachable`,
    );
    expect(waitingOutput).toContain('rotor is waiting for it');
    expect(waitingOutput).not.toContain('Unhandled error event');
    expect(waitingOutput).not.toMatch(/worker error|alert worker error/);
    expect(ready.status).toBe(200);
    expect(await scene.accepts(policy, 'AWSCURRENT')).toBe(true);
  });
});
