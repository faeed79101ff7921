import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { ROTATION_QUEUE } from '../../src/queue/queue-name.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { type EmulatedWorld, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { memoryLogger } from '../support/memory-log.js';

let world: EmulatedWorld;
let config: RotorConfig;
let daemon: Daemon;
let base: string;
const logged = memoryLogger();

beforeAll(async () => {
  world = await startEmulatedWorld();
  const token = world.cloudflare.seedToken({ name: 'api', duration: '8760h' });
  config = await world.config(
    `
    - id: api-managed
      connection: cf
      action: rotate
      target: { serviceTokenId: ${token.id} }
      schedule: { manualOnly: true }
      secret: { id: api/cloudflare-access }
    `,
    {
      api: 'host: 127.0.0.1\nport: 0\ntokens:\n  - { name: ops-console, token: { env: API_TOKEN_A } }\n  - { env: API_TOKEN_B }',
    },
  );
  daemon = await startDaemon(config, { log: logged.log });
  base = daemon.apiUrl ?? '';
});

afterAll(async () => {
  await daemon?.stop();
  await world?.close();
});

async function call(
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const token = options.token === undefined ? world.env.API_TOKEN_A : options.token;
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}

describe('probes', () => {
  it('GET /healthz answers without a token', async () => {
    expect(await call('GET', '/healthz', { token: null })).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
  });

  it('answers any number of probes at once with one readiness check: AWS is asked once', async () => {
    const asked = () => world.aws.server.calls.handled('DescribeSecret').length;
    const before = asked();
    // The check is slow, so every probe arrives while it is running.
    world.aws.server.faults.add({
      route: 'DescribeSecret',
      fault: { kind: 'delay', delayMs: 300 },
      times: 1,
    });

    const probes = await Promise.all(
      Array.from({ length: 25 }, () => call('GET', '/readyz', { token: null })),
    );

    expect(probes.map((probe) => probe.status)).toEqual(Array(25).fill(200));
    expect(asked() - before).toBe(1);
  });

  it('GET /readyz is 200 when Redis and AWS answer, 503 naming only the kind when AWS does not; /v1/readiness gives the detail to bearer callers', async () => {
    expect((await call('GET', '/readyz', { token: null })).status).toBe(200);
    world.aws.server.faults.add({ route: '*', fault: { kind: 'status', status: 503 } });
    // The last check's answer serves for a few seconds.
    const unready = await eventually('/readyz to see AWS failing', async () => {
      const probe = await call('GET', '/readyz', { token: null });
      return probe.status === 503 ? probe : undefined;
    });
    const detailed = await call('GET', '/v1/readiness');
    const anonymous = await call('GET', '/v1/readiness', { token: null });
    world.aws.server.faults.clear();

    expect(unready.status).toBe(503);
    expect(unready.body).toEqual({ status: 'unready', problems: ['aws-unreachable'] });
    expect(detailed.status).toBe(503);
    expect(detailed.body).toMatchObject({ status: 'unready', problems: [{ kind: 'aws-unreachable' }] });
    expect(String((detailed.body.problems as { detail: string }[])[0]?.detail)).toMatch(
      /aws-secrets-manager.*503/,
    );
    expect(anonymous.status).toBe(401);
  });
});

describe('bearer auth', () => {
  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-token-at-all-0123456789'],
    ['an empty token', ''],
  ])('answers 401 to %s', async (_case, token) => {
    const response = await call('GET', '/v1/policies', { token });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.body).toEqual({ error: 'unauthorized', message: 'a valid bearer token is required' });
  });

  it('accepts every configured token, so one can be rotated while the other works', async () => {
    expect((await call('GET', '/v1/policies', { token: world.env.API_TOKEN_A ?? '' })).status).toBe(200);
    expect((await call('GET', '/v1/policies', { token: world.env.API_TOKEN_B ?? '' })).status).toBe(200);
  });
});

describe('policies and runs', () => {
  it('lists the policies with their status', async () => {
    const { status, body } = await call('GET', '/v1/policies');

    expect(status).toBe(200);
    expect(body.policies).toEqual([
      expect.objectContaining({
        policyId: 'api-managed',
        state: 'idle',
        provider: 'cloudflare',
        action: 'rotate',
        secretId: 'api/cloudflare-access',
      }),
    ]);
  });

  it('answers 404 with a clear body for an unknown policy or run', async () => {
    expect(await call('GET', '/v1/policies/nope')).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'no policy "nope" in the config' },
    });
    expect((await call('POST', '/v1/policies/nope/rotations')).status).toBe(404);
    expect((await call('GET', '/v1/runs/api-managed-m1')).status).toBe(404);
  });

  it('refuses an invalid rotation request body with 400', async () => {
    const response = await call('POST', '/v1/policies/api-managed/rotations', { body: { because: 'x' } });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_request' });
  });

  it('POST rotations: 202 with the run id; a second request while it is pending joins it with 200', async () => {
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'delay', delayMs: 300 },
      times: 1,
    });
    const first = await call('POST', '/v1/policies/api-managed/rotations', { body: { reason: 'drill' } });
    const second = await call('POST', '/v1/policies/api-managed/rotations');

    expect(first).toMatchObject({ status: 202, body: { status: 'queued' } });
    expect(second).toMatchObject({
      status: 200,
      body: { runId: first.body.runId, status: 'already-pending' },
    });

    const run = await eventually('the run to finish', async () => {
      const response = await call('GET', `/v1/runs/${String(first.body.runId)}`);
      return response.body.state === 'completed' ? response.body : undefined;
    });
    expect(run).toMatchObject({
      runId: first.body.runId,
      policyId: 'api-managed',
      trigger: 'manual',
      attemptsMade: 1,
      steps: ['issue', 'journal', 'stage', 'verify', 'promote', 'commit'],
    });
    const detail = await call('GET', '/v1/policies/api-managed');
    expect(detail.body.policy).toMatchObject({ currentVersionId: run.versionId });
    expect(detail.body.history).toEqual([
      expect.objectContaining({ runId: first.body.runId, outcome: 'succeeded' }),
    ]);
  });

  it('keeps who asked in the run history: the reason and requester as sent, and the name of the API token that asked', async () => {
    const [finished] = (await call('GET', '/v1/policies/api-managed')).body.history as Record<
      string,
      unknown
    >[];

    expect(finished).toMatchObject({ reason: 'drill', requestedBy: 'http-api', apiTokenName: 'ops-console' });
    expect((await call('GET', `/v1/runs/${String(finished?.runId)}`)).body).toMatchObject({
      reason: 'drill',
      requestedBy: 'http-api',
      apiTokenName: 'ops-console',
    });
  });

  it('reports a scheduled run waiting its turn (a prioritized job) as waiting', async () => {
    const policy = config.policies.find((candidate) => candidate.id === 'api-managed');
    if (!policy) throw new Error('no policy api-managed');
    const queue = new Queue(ROTATION_QUEUE, { connection: world.redis, prefix: config.redis.prefix });
    await queue.pause();
    try {
      const dueMs = Date.now() - 60_000;
      const { jobId } = await requestRotation(queue, policy, 'schedule', {
        dueMs,
        nowMs: Date.now(),
        priority: 7,
      });
      expect(await queue.getJobState(jobId)).toBe('prioritized');

      const run = await call('GET', `/v1/runs/${jobId}`);

      expect(run.body).toMatchObject({ runId: jobId, state: 'waiting', trigger: 'schedule' });
      await queue.remove(jobId);
    } finally {
      await queue.resume();
      await queue.close();
    }
  });

  it('reports a delayed run with the moment BullMQ will start it', async () => {
    const policy = config.policies.find((candidate) => candidate.id === 'api-managed');
    if (!policy) throw new Error('no policy api-managed');
    const queue = new Queue(ROTATION_QUEUE, { connection: world.redis, prefix: config.redis.prefix });
    try {
      const dueMs = Date.now();
      const { jobId } = await requestRotation(queue, policy, 'schedule', {
        dueMs,
        nowMs: dueMs,
        delayMs: 3_600_000,
      });
      const job = await queue.getJob(jobId);
      expect(await job?.getState()).toBe('delayed');

      const run = await call('GET', `/v1/runs/${jobId}`);

      // BullMQ starts a delayed job at its timestamp plus its delay (its public fields).
      expect(run.body).toMatchObject({
        runId: jobId,
        state: 'delayed',
        dueAt: (job?.timestamp ?? 0) + 3_600_000,
      });
      expect(run.body.dueAt).toBe(dueMs + 3_600_000);
      await queue.remove(jobId);
    } finally {
      await queue.close();
    }
  });

  it('exposes Prometheus metrics behind the token, labelled by policy and provider', async () => {
    expect((await call('GET', '/metrics', { token: null })).status).toBe(401);
    const response = await fetch(`${base}/metrics`, {
      headers: { authorization: `Bearer ${world.env.API_TOKEN_A ?? ''}` },
    });
    const text = await response.text();

    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const labels = 'policy="api-managed",provider="cloudflare"';
    expect(text).toContain(`rotor_rotations_total{${labels},outcome="succeeded"} 1`);
    expect(text).toContain(`rotor_rotation_duration_seconds_count{${labels}} 1`);
    expect(text).toMatch(/rotor_last_success_timestamp_seconds\{policy="api-managed"\} \d+/);
    expect(text).toContain(
      'rotor_provider_requests_total{provider="cloudflare",operation="rotate service token",status="200"} 1',
    );
    expect(text).toMatch(/rotor_queue_jobs\{state="completed"\} [1-9]/);
    // An on-demand run has no due time to be late against.
    expect(text).not.toContain('rotor_scheduled_start_lateness_seconds_count');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('serves the BullMQ dashboard behind the token, read-only, with job data masked to ids', async () => {
    expect((await call('GET', '/admin/queues', { token: null })).status).toBe(401);
    const page = await fetch(`${base}/admin/queues`, {
      headers: { authorization: `Bearer ${world.env.API_TOKEN_A ?? ''}` },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const producer = new Queue('rotations', {
      connection: world.redis.duplicate(),
      prefix: config.redis.prefix,
    });
    const stray = await producer.add('request', { policyId: 'api-managed', password: 'hunter2-in-job-data' });
    await producer.close();
    const { status, body } = await call(
      'GET',
      '/admin/queues/api/queues?activeQueue=rotations&status=completed&page=1',
    );

    expect(status).toBe(200);
    const queues = body.queues as { name: string; readOnlyMode: boolean; jobs: { data: unknown }[] }[];
    const rotations = queues.find((queue) => queue.name === 'rotations');
    expect(rotations?.readOnlyMode).toBe(true);
    expect(rotations?.jobs.length).toBeGreaterThan(0);
    for (const job of rotations?.jobs ?? []) {
      for (const value of Object.values(job.data as Record<string, unknown>)) {
        expect(typeof value === 'string' || typeof value === 'number').toBe(true);
      }
    }
    // The stray job fails (its payload is refused); the dashboard lists it with the unknown field masked.
    const shown = await eventually('the stray job in the failed list', async () => {
      const failed = await call('GET', '/admin/queues/api/queues?activeQueue=rotations&status=failed&page=1');
      const jobs = (failed.body.queues as { name: string; jobs: { id: string; data: unknown }[] }[]).find(
        (queue) => queue.name === 'rotations',
      )?.jobs;
      return jobs?.find((job) => job.id === stray.id);
    });
    expect(shown.data).toEqual({ policyId: 'api-managed', password: '[masked]' });
  });

  it('serves its OpenAPI document', async () => {
    const { status, body } = await call('GET', '/openapi.json', { token: null });

    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths as object)).toEqual(
      expect.arrayContaining(['/v1/policies', '/v1/policies/{id}/rotations', '/v1/runs/{runId}']),
    );
  });

  it('names an unnamed API token in the run history by its fingerprint, never by its value', async () => {
    const tokenB = world.env.API_TOKEN_B ?? '';
    const asked = await call('POST', '/v1/policies/api-managed/rotations', {
      token: tokenB,
      body: { reason: 'incident 42', requestedBy: 'alice' },
    });
    await eventually('the run to finish', async () => {
      const run = await call('GET', `/v1/runs/${String(asked.body.runId)}`);
      return run.body.state === 'completed' ? true : undefined;
    });

    const [finished] = (await call('GET', '/v1/policies/api-managed')).body.history as Record<
      string,
      unknown
    >[];

    expect(finished).toMatchObject({
      runId: asked.body.runId,
      reason: 'incident 42',
      requestedBy: 'alice',
      apiTokenName: expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
    });
    expect(JSON.stringify(finished)).not.toContain(tokenB);
  });
});

describe('the request log', () => {
  it('shows route and status, never the query string: a token sent as ?access_token= stays out of the log', async () => {
    const tokenB = world.env.API_TOKEN_B ?? '';

    expect((await call('GET', `/v1/policies?access_token=${tokenB}`)).status).toBe(200);
    expect((await call('GET', `/v1/policies?access_token=${tokenB}`, { token: null })).status).toBe(401);
    await call('GET', `/readyz?access_token=${tokenB}`, { token: null });
    expect((await call('GET', `/nowhere?access_token=${tokenB}`)).status).toBe(404);

    expect(logged.text()).not.toContain(tokenB);
    const completed = logged
      .lines()
      .map((line) => JSON.parse(line) as { msg?: string; res?: { route?: string; statusCode?: number } })
      .filter((entry) => entry.msg === 'request completed')
      .map((entry) => entry.res);
    expect(completed).toEqual(
      expect.arrayContaining([
        { route: '/v1/policies', statusCode: 200 },
        { route: '/v1/policies', statusCode: 401 },
        { route: '/readyz', statusCode: expect.any(Number) },
      ]),
    );
  });
});
