import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { ROTATION_QUEUE } from '../../src/queue/queue-name.js';
import { startCloudflareFixture } from '../providers/cloudflare.fixture.js';
import { startTagoioFixture } from '../providers/tagoio.fixture.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { eventually } from '../support/eventually.js';
import { memoryLogger } from '../support/memory-log.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { loadWorldConfig } from '../support/world-config.js';

/** Long enough that no displaced credential is revoked while a test runs: nothing here waits for a revoke. */
const GRACE = '10m';
/** Bounds a broken test's waits below the test timeout, so it fails naming what it waited for. */
const WAIT_MS = 15_000;

let world: ProviderWorld;
let config: RotorConfig;
let daemon: Daemon | undefined;
let aws: AwsSecrets;
let base: string;
let apiToken: string;
const logged = memoryLogger('info');

beforeAll(async () => {
  world = await startProviderWorld(startTagoioFixture, startCloudflareFixture);
  const [tagoio, cloudflare] = world.fixtures;
  if (!tagoio || !cloudflare) throw new Error('the world has no TagoIO or Cloudflare fixture');
  const policies = [
    await world.policy('gateway', { gracePeriod: GRACE }, tagoio),
    await world.policy('never-rotated', { gracePeriod: GRACE }, tagoio),
    await world.policy('cf-rotate', {}, cloudflare),
    (await world.policy('cf-refresh', {}, cloudflare)).replace('action: rotate', 'action: refresh'),
  ];
  apiToken = randomBytes(24).toString('base64url');
  const env = { ...world.env, ROLLBACK_API_TOKEN: apiToken };
  config = await loadWorldConfig(
    world.yaml(policies, {
      api: 'host: 127.0.0.1\nport: 0\ntokens:\n  - { name: ops-console, token: { env: ROLLBACK_API_TOKEN } }',
    }),
    env,
  );
  aws = new AwsSecrets(world.aws.client);
  daemon = await startDaemon(config, { log: logged.log });
  base = daemon.apiUrl ?? '';
});

afterAll(async () => {
  await daemon?.stop();
  aws?.close();
  await world?.close();
});

async function call(
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = options.token === undefined ? apiToken : options.token;
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A run once the API reports it finished. */
async function finishedRun(runId: string): Promise<Record<string, unknown>> {
  return eventually(
    `run ${runId} to finish`,
    async () => {
      const { body } = await call('GET', `/v1/runs/${runId}`);
      return body.state === 'completed' || body.state === 'failed' ? body : undefined;
    },
    WAIT_MS,
  );
}

/** Rotates through the API and waits for it; the version AWSCURRENT holds after it (official AWS SDK). */
async function rotated(policyId: string): Promise<string> {
  const asked = await call('POST', `/v1/policies/${policyId}/rotations`);
  expect(asked.status).toBe(202);
  expect(await finishedRun(String(asked.body.runId))).toMatchObject({ state: 'completed' });
  const current = await aws.version(`tagoio/${policyId}`, 'AWSCURRENT');
  if (!current) throw new Error(`no AWSCURRENT for ${policyId} after a completed rotation`);
  return current.versionId;
}

describe('POST /v1/policies/:id/rollback', () => {
  it('answers 401 without a bearer token, or with a wrong one', async () => {
    expect((await call('POST', '/v1/policies/gateway/rollback', { token: null })).status).toBe(401);
    expect(
      (await call('POST', '/v1/policies/gateway/rollback', { token: 'not-the-token-0123456789abcdef' }))
        .status,
    ).toBe(401);
  });

  it('answers 404 for a policy that is not in the config', async () => {
    expect(await call('POST', '/v1/policies/nope/rollback')).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'no policy "nope" in the config' },
    });
  });

  it.each([
    ['an unknown field', { because: 'bad deploy' }, /because/],
    ['a reason longer than 500 characters', { reason: 'x'.repeat(501) }, /reason/],
    ['an empty reason', { reason: '' }, /reason/],
    ['a revokeNow that is not a boolean', { revokeNow: 'yes' }, /revokeNow/],
  ])('answers 400 invalid_request naming the field for %s', async (_case, body, field) => {
    const response = await call('POST', '/v1/policies/gateway/rollback', { body });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_request' });
    expect(String(response.body.message)).toMatch(field);
  });

  it('answers 409 rollback_refused for a policy that never rotated: there is no previous credential', async () => {
    const response = await call('POST', '/v1/policies/never-rotated/rollback', { body: { reason: 'drill' } });

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ error: 'rollback_refused' });
    expect(String(response.body.message)).toMatch(/policy never-rotated: .*never rotated/);
  });

  it('answers 409 rollback_refused for a Cloudflare rotate policy, naming the vendor keeping one previous secret that dies on its own', async () => {
    const response = await call('POST', '/v1/policies/cf-rotate/rollback');

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ error: 'rollback_refused' });
    expect(String(response.body.message)).toMatch(
      /policy cf-rotate: action rotate .*vendor keeps one previous secret.*guarantees an outage/,
    );
  });

  it('answers 409 rollback_refused for a Cloudflare refresh policy: it extends one credential, there is nothing to go back to', async () => {
    const response = await call('POST', '/v1/policies/cf-refresh/rollback');

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ error: 'rollback_refused' });
    expect(String(response.body.message)).toMatch(
      /policy cf-refresh: action refresh extends one credential.*no earlier credential to go back to/,
    );
  });

  it('after two rotations: 202 queued naming the version taken out and the one restored; a second request while it is pending joins it with 200; once run, the history keeps who asked and why and /metrics counts it', async () => {
    const first = await rotated('gateway');
    const second = await rotated('gateway');
    expect(second).not.toBe(first);
    // No worker takes the rollback while the queue is paused: it stays pending for the second request.
    const queue = new Queue(ROTATION_QUEUE, { connection: world.redis, prefix: config.redis.prefix });
    await queue.pause();
    let asked: Awaited<ReturnType<typeof call>>;
    let again: Awaited<ReturnType<typeof call>>;
    try {
      asked = await call('POST', '/v1/policies/gateway/rollback', {
        body: { reason: 'bad deploy', requestedBy: 'oncall@example.com' },
      });
      again = await call('POST', '/v1/policies/gateway/rollback', { body: { reason: 'me too' } });
      expect((await call('GET', `/v1/runs/${String(asked.body.runId)}`)).body).toMatchObject({
        state: 'waiting',
        trigger: 'rollback',
      });
    } finally {
      await queue.resume();
      await queue.close();
    }

    expect(asked).toEqual({
      status: 202,
      body: {
        runId: expect.stringMatching(/^gateway-r\d+$/),
        status: 'queued',
        fromVersionId: second,
        toVersionId: first,
      },
    });
    expect(again).toEqual({
      status: 200,
      body: { runId: asked.body.runId, status: 'already-pending', fromVersionId: second, toVersionId: first },
    });

    expect(await finishedRun(String(asked.body.runId))).toMatchObject({
      state: 'completed',
      trigger: 'rollback',
    });
    expect((await aws.version('tagoio/gateway', 'AWSCURRENT'))?.versionId).toBe(first);
    const detail = await call('GET', '/v1/policies/gateway');
    expect(detail.body.policy).toMatchObject({
      currentVersionId: first,
      rolledBack: { versionId: second, runId: asked.body.runId },
    });
    expect((detail.body.history as Record<string, unknown>[])[0]).toMatchObject({
      runId: asked.body.runId,
      trigger: 'rollback',
      outcome: 'succeeded',
      versionId: first,
      reason: 'bad deploy',
      requestedBy: 'oncall@example.com',
      apiTokenName: 'ops-console',
    });
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(await metrics.text()).toContain(
      'rotor_rollbacks_total{policy="gateway",provider="tagoio",outcome="rolled-back"} 1',
    );
  });
});

describe('the OpenAPI document', () => {
  it('describes the rollback route as a POST and lists rollback among a run entry’s triggers', async () => {
    const { status, body } = await call('GET', '/openapi.json', { token: null });

    expect(status).toBe(200);
    expect(body).toMatchObject({
      paths: {
        '/v1/policies/{id}/rollback': {
          post: {
            responses: {
              '200': expect.any(Object),
              '202': expect.any(Object),
              '400': expect.any(Object),
              '401': expect.any(Object),
              '404': expect.any(Object),
              '409': expect.any(Object),
            },
          },
        },
      },
      components: {
        schemas: { RunEntry: { properties: { trigger: { enum: expect.arrayContaining(['rollback']) } } } },
      },
    });
  });
});
