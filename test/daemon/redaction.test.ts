import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import type { Fault } from '../../src/emulator-harness/fault-plan.js';
import { JOB } from '../../src/queue/job-payloads.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { runCli } from '../support/cli-run.js';
import { Scene } from '../support/daemon-scene.js';
import { eventually } from '../support/eventually.js';
import { recordFaultOutcome } from '../support/fault-ledger.js';
import { finishedJob } from '../support/finished-job.js';
import { freePort } from '../support/free-port.js';
import { openProviderWorld } from '../support/open-provider-world.js';
import { dumpKeys, leaksIn, testRedis } from '../support/redis.js';

const API_TOKEN_ENV = 'REDACTION_API_TOKEN';
const GRACE_MS = 500;
/** What every echoing vendor answer starts with: seeing it in an exit proves the echo reached that exit. */
const ECHO = 'refused the credentials received';

/** A careless vendor: the request's credentials quoted back, raw, URL-encoded, base64, in pieces, spaced. */
const echo = (status: number, from?: ('headers' | 'body' | 'path')[]): Fault => ({
  kind: 'echo-credentials',
  status,
  ...(from === undefined ? {} : { from }),
});

describe('secret values a vendor echoes back in error bodies, in any encoding, reach no exit of rotor', {
  timeout: 180_000,
}, () => {
  const apiToken = randomBytes(24).toString('base64url');
  let scene: Scene;
  let apiUrl = '';
  /** Every text rotor let out besides its log, Redis and the webhooks: API answers and CLI output. */
  const exits: [string, string][] = [];

  const policies = (): PolicyConfig[] =>
    providerFixtures.map(([providerId]) => scene.policy(`echo-${providerId}`));
  const fixtureOf = (policy: PolicyConfig) => scene.fixtureOf(policy);
  /** The policies whose action revokes the displaced credential (their vendors take a revoke call). */
  const overlapPolicies = () => policies().filter((policy) => fixtureOf(policy).revokeRoute !== undefined);
  /** Echoes the emulators answered with. */
  const faultsInjected = () =>
    scene.world.fixtures.reduce(
      (sum, fixture) =>
        sum + fixture.server.calls.all().filter((call) => call.fault === 'echo-credentials').length,
      0,
    );

  async function rotation(policy: PolicyConfig): Promise<Job> {
    const { jobId } = await requestRotation(scene.infra.queue, policy, 'manual', { nowMs: Date.now() });
    return finishedJob(scene.infra.queue, jobId);
  }

  async function api(path: string): Promise<string> {
    const response = await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${apiToken}` } });
    const body = await response.text();
    expect(response.status, `${path}: ${body}`).toBe(200);
    exits.push([`GET ${path}`, body]);
    return body;
  }

  async function rotor(...args: string[]): Promise<{ code: number; output: string }> {
    const ran = await runCli(join(scene.workDir, 'rotor.yaml'), scene.env, ...args);
    const result = { code: ran.code, output: `${ran.stdout}${ran.stderr}` };
    exits.push([`rotor ${args.join(' ')}`, result.output]);
    return result;
  }

  beforeAll(async () => {
    const world = await openProviderWorld(
      testRedis(),
      providerFixtures.map(([, start]) => start),
    );
    const entries = await Promise.all(
      world.fixtures.map((fixture) =>
        world.policy(
          `echo-${fixture.providerId}`,
          { gracePeriod: `${GRACE_MS}ms`, retry: '{ attempts: 2, backoff: 100ms, maxBackoff: 200ms }' },
          fixture,
        ),
      ),
    );
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    scene = await Scene.open(
      world,
      entries,
      { api: `port: ${port}\ntokens: [{ env: ${API_TOKEN_ENV} }]` },
      { [API_TOKEN_ENV]: apiToken },
    );
    await scene.startDaemon();

    await Promise.all(
      policies().map(async (policy) => {
        const fixture = fixtureOf(policy);
        const faults = fixture.server.faults;
        // The admin credential, quoted back by the issue call.
        faults.add({ route: fixture.issueRoute, fault: echo(401), times: 1 });
        expect((await rotation(policy)).failedReason).toContain(ECHO);
        expect(await (await rotation(policy)).getState()).toBe('completed');
        // The new credential (or the admin one), quoted back by the verify call; the next run finishes it.
        faults.add({ route: fixture.verifyRoute, fault: echo(400), times: 1 });
        await rotation(policy);
        // The displaced credential, quoted back by its revoke (overlap providers, after the grace period).
        if (fixture.revokeRoute)
          faults.add({ route: fixture.revokeRoute, fault: echo(400, ['body', 'path']), times: 1 });
        expect(await (await rotation(policy)).getState()).toBe('completed');
      }),
    );
    const overlap = overlapPolicies();
    await eventually('each echoed revoke to fail', async () => {
      const failed = (await scene.infra.queue.getJobs(['failed'])).filter((job) => job.name === JOB.revoke);
      return failed.length === overlap.length ? failed : undefined;
    });
    await eventually('the alerts of the failures to be delivered', () =>
      scene.alerts('revocation.failed').length === overlap.length &&
      scene.alerts('rotation.failed').length >= policies().length
        ? true
        : undefined,
    );

    // The CLI: a failure reported by `rotor rotate --wait`, and `rotor status` in both formats.
    const cloudflare = scene.policy('echo-cloudflare');
    fixtureOf(cloudflare).server.faults.add({
      route: fixtureOf(cloudflare).issueRoute,
      fault: echo(401),
      times: 1,
    });
    expect((await rotor('rotate', cloudflare.id, '--wait', '--timeout', '30s')).code).toBe(1);
    await rotor('status');
    await rotor('status', '--json');

    // The HTTP API, /metrics, and the dashboard's JSON API (what its job views show).
    await api('/v1/policies');
    for (const policy of policies()) await api(`/v1/policies/${policy.id}`);
    const rotations = (await scene.infra.queue.getJobs(['completed', 'failed'])).filter(
      (job) => job.name === JOB.rotate,
    );
    for (const job of rotations) await api(`/v1/runs/${job.id}`);
    await api('/metrics');
    for (const [queue, status] of [
      ['rotations', 'failed'],
      ['rotations', 'completed'],
      ['alerts', 'completed'],
    ]) {
      await api(`/admin/queues/api/queues?activeQueue=${queue}&status=${status}&page=1&jobsPerPage=100`);
    }
    const failed = await scene.infra.queue.getJobs(['failed']);
    for (const job of failed)
      await api(`/admin/queues/api/queues/rotations/${encodeURIComponent(job.id ?? '')}`);
    await scene.stopDaemon();
  });

  afterAll(async () => {
    await scene?.close();
  });

  it('every exit carried the echoes, with every secret value taken out', async () => {
    const logs = scene.output.join('');
    const redis = await dumpKeys(scene.world.redis, scene.world.prefix);
    const webhooks = scene.receiver.received.map((alert, index): [string, string] => [
      `webhook body #${index}`,
      alert.body,
    ]);
    const places: [string, string][] = [['the daemon log', logs], ['Redis', redis], ...webhooks, ...exits];
    // The scan means something only where the echoes arrived.
    for (const [where, text] of [
      ['the daemon log', logs],
      ['Redis', redis],
      ['webhook bodies', webhooks.map(([, body]) => body).join('\n')],
      ...exits.filter(([where]) => /policies\/|rotor |status=failed|queues\/rotations\//.test(where)),
    ]) {
      expect(text, where).toContain(ECHO);
    }
    const secrets = [...scene.world.secrets(), apiToken, scene.world.env.WORLD_WEBHOOK_SECRET ?? ''];
    expect(secrets.length).toBeGreaterThan(policies().length * 2);
    const leaks = leaksIn(secrets, places);
    const rotations = (await scene.infra.queue.getJobs(['completed'])).filter(
      (job) => job.name === JOB.rotate,
    );
    const measured = await scene.outcome(policies(), exits);
    recordFaultOutcome({
      suite: 'redaction',
      faultsInjected: faultsInjected(),
      rotationsCompleted: rotations.length,
      credentialsLost: measured.columns.credentialsLost,
      duplicateIssues: measured.columns.duplicateIssues,
      leakedValues: leaks.length,
    });
    expect(leaks).toEqual([]);
    expect(measured.lost).toEqual([]);
    // The revokes the echo fault fails by design leave each overlap policy's displaced credential live.
    expect(measured.extraLive).toHaveLength(overlapPolicies().length);
  });
});
