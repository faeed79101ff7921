import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { expiryJobIdFor, schedulerIdFor } from '../../src/queue/job-payloads.js';
import { runCli } from '../support/cli-run.js';
import { type DaemonProcess, startDaemonProcess } from '../support/daemon-process.js';
import { type EmulatedWorld, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** `HH:MM` in UTC of an instant. */
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
/** A freeze bound as the config takes it, in UTC. */
const instant = (ms: number) => `${new Date(ms).toISOString().slice(0, 16)}Z`;

let world: EmulatedWorld;
let infra: RedisInfrastructure;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let daemon: DaemonProcess | undefined;
let workDir: string;
let configFile: string;
let startedMs: number;
let apiUrl: string;
/** Where the daily window of `windowed` opens: whole minutes, two hours from the test's start. */
let opensMs: number;
let freezeEndsMs: number;
let policiesFor: (windowOpensMs: number) => string;
let sections: { api: string; alerts: string };

beforeAll(async () => {
  world = await startEmulatedWorld();
  receiver = await startWebhookReceiver(world.env.WEBHOOK_SECRET);
  startedMs = Date.now();
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  opensMs = Math.floor((startedMs + 2 * HOUR_MS) / MINUTE_MS) * MINUTE_MS;
  freezeEndsMs = Math.floor((startedMs + 3 * HOUR_MS) / MINUTE_MS) * MINUTE_MS;
  const token = (name: string, duration = '8760h') => world.cloudflare.seedToken({ name, duration }).id;
  const tokens = {
    windowed: token('windowed'),
    frozen: token('frozen'),
    expiring: token('expiring', '1h'),
    manual: token('manual'),
  };
  const policy = (id: keyof typeof tokens, schedule: string, windows: string) => `
    - id: ${id}
      connection: cf
      action: rotate
      target: { serviceTokenId: ${tokens[id]} }
      schedule: ${schedule}
      windows: ${windows}
      secret: { id: windows/${id} }`;
  // Each policy's secret is missing at start, so each rotates once at once (a first rotation is not windowed).
  policiesFor = (windowOpensMs) =>
    [
      policy(
        'windowed',
        '{ every: 2s }',
        `{ allowed: [{ from: '${hhmm(windowOpensMs)}', to: '${hhmm(windowOpensMs + HOUR_MS)}' }] }`,
      ),
      policy(
        'frozen',
        '{ every: 2s }',
        `{ freezes: [{ from: ${instant(startedMs - HOUR_MS)}, to: ${instant(freezeEndsMs)}, reason: year-end change freeze }] }`,
      ),
      // Rotates 59m50s before its credential (1h) expires; a freeze until after the expiry must not stop it.
      policy(
        'expiring',
        '{ beforeExpiry: 59m50s }',
        `{ freezes: [{ from: ${instant(startedMs - HOUR_MS)}, to: ${instant(freezeEndsMs)} }] }`,
      ),
      policy(
        'manual',
        '{ manualOnly: true }',
        `{ allowed: [{ from: '${hhmm(opensMs)}', to: '${hhmm(opensMs + HOUR_MS)}' }] }`,
      ),
    ].join('');
  sections = {
    api: `host: 127.0.0.1\nport: ${apiPort}\ntokens:\n  - { env: API_TOKEN_A }`,
    alerts: `endpoints:\n  - { name: ops, url: "${receiver.url}", secret: { env: WEBHOOK_SECRET } }`,
  };
  workDir = await mkdtemp(join(tmpdir(), 'rotor-windows-'));
  configFile = join(workDir, 'rotor.yaml');
  await writeFile(configFile, world.yaml(policiesFor(opensMs), sections));
  infra = connectRedis(await world.config(policiesFor(opensMs), sections));
  daemon = await startDaemonProcess(configFile, world.env);
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  await receiver?.close();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** The policy's pending rotation job (BullMQ's deduplication key names it), once there is one. */
async function pendingRun(policyId: string, other?: string): Promise<Job> {
  return eventually(`a pending rotation of ${policyId}`, async () => {
    const id = await infra.queue.getDeduplicationJobId(policyId);
    if (!id || id === other) return undefined;
    const job = await infra.queue.getJob(id);
    return job && (await job.isDelayed()) ? job : undefined;
  });
}

/** When BullMQ will start a delayed job. */
const startsAt = (job: Job) => job.timestamp + (job.opts.delay ?? 0);

async function statusOf(policyId: string) {
  const { code, stdout } = await runCli(configFile, world.env, 'status', '--json');
  expect(code).toBe(0);
  const { policies } = JSON.parse(stdout) as { policies: { policyId: string }[] };
  return policies.find((status) => status.policyId === policyId) as Record<string, unknown>;
}

describe('rotation windows', () => {
  it('delays a run due outside the allowed window to the window’s opening, as one run whatever the missed periods', async () => {
    const job = await pendingRun('windowed');
    expect(startsAt(job)).toBe(opensMs);
    expect(job.data).toMatchObject({ trigger: 'schedule', deferred: { startsAt: opensMs, kind: 'window' } });
    // The schedule fires every 2 s: later triggers join the deferred run instead of adding one each.
    await eventually('two more firings of the schedule', async () => {
      const scheduler = await infra.queue.getJobScheduler(schedulerIdFor('windowed'));
      return (scheduler?.next ?? 0) > job.timestamp + 4_000 ? true : undefined;
    });
    expect(await infra.queue.getDeduplicationJobId('windowed')).toBe(job.id);
    const pendingRuns = (await infra.queue.getJobs(['delayed', 'waiting', 'prioritized'])).filter(
      (candidate) => candidate.name === 'rotate' && candidate.data.policyId === 'windowed',
    );
    expect(pendingRuns.map((candidate) => candidate.id)).toEqual([job.id]);
    const history = await infra.history.recent('windowed');
    expect(history.map((entry) => entry.trigger)).toEqual(['initial']);
  });

  it('shows the deferred start in rotor status, the API and the next-rotation metric', async () => {
    await pendingRun('windowed');
    expect(await statusOf('windowed')).toMatchObject({
      state: 'scheduled',
      nextRunAt: opensMs,
      nextRunDeferred: { startsAt: opensMs, kind: 'window' },
    });
    const headers = { authorization: `Bearer ${world.env.API_TOKEN_A ?? ''}` };
    const api = (await (await fetch(`${apiUrl}/v1/policies/windowed`, { headers })).json()) as {
      policy: Record<string, unknown>;
    };
    expect(api.policy).toMatchObject({ nextRunAt: opensMs, nextRunDeferred: { kind: 'window' } });
    const metrics = await (await fetch(`${apiUrl}/metrics`, { headers })).text();
    expect(metrics).toContain(`rotor_next_rotation_timestamp_seconds{policy="windowed"} ${opensMs / 1000}`);
  });

  it('pushes a run due in a freeze past the freeze, naming its reason', async () => {
    const job = await pendingRun('frozen');
    expect(startsAt(job)).toBe(freezeEndsMs);
    expect(await statusOf('frozen')).toMatchObject({
      nextRunAt: freezeEndsMs,
      nextRunDeferred: { kind: 'freeze', freezeReason: 'year-end change freeze' },
    });
  });

  it('runs a before-expiry rotation inside a freeze when the credential would expire first, and says so', async () => {
    const entry = await eventually('the overriding run', async () =>
      (await infra.history.recent('expiring')).find((candidate) => candidate.trigger === 'expiry'),
    );
    expect(entry).toMatchObject({
      outcome: 'succeeded',
      windowOverride: { allowedAt: freezeEndsMs, kind: 'freeze' },
    });
    expect(entry.windowOverride?.expiresAt).toBeLessThan(freezeEndsMs);
    const alert = await eventually('the window_overridden alert', () =>
      receiver
        .delivered()
        .map((delivered) => (delivered as { data: { type: string; policyId?: string } }).data)
        .find((event) => event.type === 'rotation.window_overridden' && event.policyId === 'expiring'),
    );
    expect(alert).toMatchObject({
      details: { allowedAt: new Date(freezeEndsMs).toISOString(), closedBy: 'freeze' },
    });
    expect(daemon?.output()).toContain('rotating outside the policy’s windows');
    // The timer re-armed for the same expiry fires again: that due time's run is not repeated, nor its alert.
    await eventually('the overriding run’s job to finish (it re-arms the timer)', async () =>
      (await (await infra.queue.getJob(entry.runId))?.isCompleted()) ? true : undefined,
    );
    await eventually('the re-armed timer to have fired', async () =>
      (await infra.queue.getJob(expiryJobIdFor('expiring'))) ? undefined : true,
    );
    expect(
      (await infra.history.recent('expiring')).filter((candidate) => candidate.trigger === 'expiry'),
    ).toHaveLength(1);
    expect(
      receiver
        .delivered()
        .filter(
          (delivered) => (delivered as { data: { type: string } }).data.type === 'rotation.window_overridden',
        ),
    ).toHaveLength(1);
  });

  it('defers an on-demand rotation outside the windows, and --force runs it at once and records who forced it', async () => {
    const deferred = await runCli(configFile, world.env, 'rotate', 'manual', '--reason', 'try');
    expect(deferred.code).toBe(0);
    expect(deferred.stdout).toContain(`deferred until ${new Date(opensMs).toISOString()}`);
    const waiting = await pendingRun('manual');
    expect(startsAt(waiting)).toBe(opensMs);

    const forced = await runCli(
      configFile,
      world.env,
      'rotate',
      'manual',
      '--force',
      '--wait',
      '--reason',
      'incident 42',
    );
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/manual: rotated; AWS version/);
    const history = await infra.history.recent('manual');
    expect(history[0]).toMatchObject({
      trigger: 'manual',
      outcome: 'succeeded',
      forced: true,
      reason: 'incident 42',
      requestedBy: expect.stringMatching(/^cli:/),
    });
    // The forced run replaced the waiting one: nothing is left to run at the window's opening.
    expect(await infra.queue.getJob(waiting.id ?? '')).toBeUndefined();
  });

  it('moves the pending run when a SIGHUP reload changes the window', async () => {
    const before = await pendingRun('windowed');
    expect(startsAt(before)).toBe(opensMs);
    const laterMs = opensMs + 30 * MINUTE_MS;
    await writeFile(configFile, world.yaml(policiesFor(laterMs), sections));

    daemon?.child.kill('SIGHUP');

    const moved = await eventually('the run moved to the new opening', async () => {
      const job = await infra.queue.getJob(before.id ?? '');
      return job && startsAt(job) === laterMs ? job : undefined;
    });
    expect(moved.data).toMatchObject({ runId: before.data.runId, deferred: { startsAt: laterMs } });
    expect(await infra.queue.getDeduplicationJobId('windowed')).toBe(before.id);
    expect(daemon?.output()).toContain(
      'pending run moved to where the policy’s windows now allow it to start',
    );
  });
});
