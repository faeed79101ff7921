import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { eventually } from '../support/eventually.js';
import { type EveryProviderScene, openEveryProviderScene } from '../support/every-provider-scene.js';
import { leaksIn } from '../support/redis.js';

let every: EveryProviderScene;

beforeAll(async () => {
  every = await openEveryProviderScene({ retry: '{ attempts: 1 }' });
}, 120_000);

afterAll(async () => {
  await every?.scene.close();
});

describe('the HTTP API', () => {
  it('puts no secret value of any provider, in any encoding, in any answer: runs that succeeded and failed, policies, readiness, metrics, the dashboard, errors', {
    timeout: 120_000,
  }, async () => {
    const { scene, policies, apiUrl, apiToken } = every;
    /** Every answer this test got, by what was asked. */
    const answers: [string, string][] = [];
    async function call(method: 'GET' | 'POST', path: string, token: string | null = apiToken) {
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(method === 'POST' ? { body: JSON.stringify({ reason: 'leak scan' }) } : {}),
      });
      const body = await response.text();
      answers.push([`${method} ${path} (${response.status})`, body]);
      const json = response.headers.get('content-type')?.startsWith('application/json') ?? false;
      return { status: response.status, body: json ? (JSON.parse(body) as Record<string, unknown>) : {} };
    }
    async function rotationThroughApi(policy: PolicyConfig, expected: 'completed' | 'failed') {
      const asked = await call('POST', `/v1/policies/${policy.id}/rotations`);
      expect(asked.status).toBe(202);
      const runId = String(asked.body.runId);
      const run = await eventually(`run ${runId} to finish`, async () => {
        const { body } = await call('GET', `/v1/runs/${runId}`);
        return body.state === 'completed' || body.state === 'failed' ? body : undefined;
      });
      expect(run.state, JSON.stringify(run)).toBe(expected);
    }

    await Promise.all(
      policies.map(async (policy) => {
        await rotationThroughApi(policy, 'completed');
        await rotationThroughApi(policy, 'completed');
        const fixture = scene.fixtureOf(policy);
        fixture.server.faults.add({ route: fixture.issueRoute, fault: { kind: 'status', status: 503 } });
        await rotationThroughApi(policy, 'failed');
        fixture.server.faults.clear();
      }),
    );
    for (const path of ['/healthz', '/readyz', '/openapi.json']) await call('GET', path, null);
    for (const path of ['/v1/readiness', '/v1/policies', '/metrics', '/admin/queues'])
      await call('GET', path);
    for (const policy of policies) await call('GET', `/v1/policies/${policy.id}`);
    for (const status of ['completed', 'failed'])
      await call(
        'GET',
        `/admin/queues/api/queues?activeQueue=rotations&status=${status}&page=1&jobsPerPage=100`,
      );
    await call('GET', '/v1/policies', 'not-the-api-token-0123456789');
    await call('GET', '/v1/policies/nope');
    await call('GET', '/v1/runs/nope-m1');

    // The scan means something: every provider issued credentials (their values are among the secrets) and
    // the answers describe those runs.
    for (const policy of policies) {
      expect(scene.fixtureOf(policy).liveIssued(), policy.id).toBeGreaterThan(0);
      const { body } = await call('GET', `/v1/policies/${policy.id}`);
      const outcomes = (body.history as { outcome: string }[]).map((entry) => entry.outcome);
      expect(outcomes, policy.id).toEqual(['failed', 'succeeded', 'succeeded']);
    }
    expect(leaksIn(every.secrets(), answers)).toEqual([]);
  });
});
