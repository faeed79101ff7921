import type { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertSink } from '../../src/alerts/alert-publisher.js';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { wireRotations } from '../../src/daemon/rotation-deps.js';
import type { AlertEvent } from '../../src/domain/alert-events.js';
import { scheduledRunId } from '../../src/domain/ids.js';
import { replanDeferredRuns } from '../../src/queue/deferred-runs.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { type EmulatedWorld, policyNamed, startEmulatedWorld } from '../support/emulated-world.js';
import { memoryLogger } from '../support/memory-log.js';

const HOUR_MS = 3_600_000;
// A Wednesday, 10:00 UTC: outside a window that opens at 22:00 UTC.
const NOW_MS = Date.parse('2026-12-02T10:00:00Z');
const OPENS_MS = Date.parse('2026-12-02T22:00:00Z');

let world: EmulatedWorld;
let infra: RedisInfrastructure;
let queue: Queue;

const policy = (id: string, schedule: string, windows: string) => `
  - id: ${id}
    connection: cf
    action: rotate
    target: { serviceTokenId: 00000000-0000-4000-8000-000000000000 }
    schedule: ${schedule}
    ${windows ? `windows: ${windows}` : ''}
    secret: { id: deferred/${id} }
`;
const nightly = "{ allowed: [{ from: '22:00', to: '23:00' }] }";

beforeAll(async () => {
  world = await startEmulatedWorld();
  infra = connectRedis(await world.config(policy('placeholder', '{ manualOnly: true }', '')));
  queue = infra.queue;
});

beforeEach(async () => {
  await queue.obliterate({ force: true });
});

afterAll(async () => {
  await infra?.close();
  await world?.close();
});

/** The daemon's deps for a config, at the test's clock, with the alerts it publishes kept. */
function depsFor(config: RotorConfig, nowMs = NOW_MS) {
  const alerts: AlertEvent[] = [];
  const sink: AlertSink = {
    expiringWithinMs: 0,
    publish: async (event) => {
      alerts.push(event as AlertEvent);
    },
  };
  const wiring = wireRotations(config, infra, {
    clock: { now: () => nowMs },
    log: memoryLogger().log,
    alerts: sink,
  });
  return { deps: wiring.deps, alerts, close: () => wiring.close() };
}

const startsAt = (job: Job) => job.timestamp + (job.opts.delay ?? 0);

async function pendingOf(policyId: string): Promise<Job> {
  const id = await queue.getDeduplicationJobId(policyId);
  const job = id ? await queue.getJob(id) : undefined;
  if (!job) throw new Error(`no pending rotation of ${policyId}`);
  return job;
}

describe('runs deferred by their policy’s windows', () => {
  it('delays an on-demand request outside the windows to their opening, and a forced one replaces it', async () => {
    const config = await world.config(policy('nightly', '{ manualOnly: true }', nightly));
    const nightlyPolicy = policyNamed(config, 'nightly');

    const asked = await requestRotation(queue, nightlyPolicy, 'manual', {
      nowMs: NOW_MS,
      requestedBy: 'ops',
    });
    expect(asked).toMatchObject({
      joined: false,
      deferral: { askedAt: NOW_MS, startsAt: OPENS_MS, kind: 'window' },
    });
    const waiting = await pendingOf('nightly');
    expect(await waiting.isDelayed()).toBe(true);
    expect(startsAt(waiting)).toBe(OPENS_MS);

    const forced = await requestRotation(queue, nightlyPolicy, 'manual', {
      nowMs: NOW_MS + 1,
      requestedBy: 'incident-bot',
      force: true,
    });
    expect(forced).toMatchObject({ joined: false });
    expect(forced.jobId).not.toBe(waiting.id);
    expect(await queue.getJob(waiting.id ?? '')).toBeUndefined();
    const running = await pendingOf('nightly');
    expect(running.id).toBe(forced.jobId);
    expect(await running.isDelayed()).toBe(false);
    expect(running.data).toMatchObject({ forced: true, requestedBy: 'incident-bot' });
    expect(running.data.deferred).toBeUndefined();
  });

  it('does not mark a forced request as forced when the windows allow it anyway', async () => {
    const config = await world.config(policy('anytime', '{ manualOnly: true }', ''));
    await requestRotation(queue, policyNamed(config, 'anytime'), 'manual', { nowMs: NOW_MS, force: true });
    expect((await pendingOf('anytime')).data.forced).toBeUndefined();
  });

  it('moves a deferred run to the new opening when the windows change, keeping its id and due time', async () => {
    const before = await world.config(policy('hourly', '{ every: 1h }', nightly));
    const dueMs = NOW_MS - 60_000;
    await requestRotation(queue, policyNamed(before, 'hourly'), 'schedule', { dueMs, nowMs: NOW_MS });
    expect(startsAt(await pendingOf('hourly'))).toBe(OPENS_MS);

    const after = await world.config(
      policy('hourly', '{ every: 1h }', "{ allowed: [{ from: '20:00', to: '21:00' }] }"),
    );
    const { deps, close } = depsFor(after);
    expect(await replanDeferredRuns(deps)).toEqual({ moved: 1, overridden: 0 });
    close();

    const moved = await pendingOf('hourly');
    expect(moved.id).toBe(scheduledRunId('hourly', dueMs));
    expect(moved.timestamp).toBe(dueMs);
    expect(startsAt(moved)).toBe(OPENS_MS - 2 * HOUR_MS);
    // Its due time had passed when it was asked for: it asked to start then.
    expect(moved.data.deferred).toEqual({
      askedAt: NOW_MS,
      startsAt: OPENS_MS - 2 * HOUR_MS,
      kind: 'window',
    });
  });

  it('starts a deferred run at once when the reload lifts its windows, and defers a jittered one a new freeze covers', async () => {
    const before = await world.config(
      policy('lifted', '{ every: 1h }', nightly) + policy('jittered', '{ every: 1h, jitter: 30m }', ''),
    );
    await requestRotation(queue, policyNamed(before, 'lifted'), 'schedule', { dueMs: NOW_MS, nowMs: NOW_MS });
    await requestRotation(queue, policyNamed(before, 'jittered'), 'schedule', {
      dueMs: NOW_MS,
      delayMs: 20 * 60_000,
      nowMs: NOW_MS,
    });
    expect(startsAt(await pendingOf('jittered'))).toBe(NOW_MS + 20 * 60_000);

    const freeze = '{ freezes: [{ from: 2026-12-02T00:00Z, to: 2026-12-03T00:00Z, reason: audit }] }';
    const after = await world.config(
      policy('lifted', '{ every: 1h }', '') + policy('jittered', '{ every: 1h, jitter: 30m }', freeze),
    );
    const { deps, close } = depsFor(after);
    expect(await replanDeferredRuns(deps)).toEqual({ moved: 2, overridden: 0 });
    close();

    const lifted = await pendingOf('lifted');
    expect(await lifted.isDelayed()).toBe(false);
    expect(lifted.data.deferred).toBeUndefined();
    const jittered = await pendingOf('jittered');
    expect(startsAt(jittered)).toBe(Date.parse('2026-12-03T00:00:00Z'));
    expect(jittered.data.deferred).toMatchObject({ kind: 'freeze', freezeReason: 'audit' });
  });

  it('overrides a before-expiry run whose credential would expire in a freeze added while it waited', async () => {
    const expiring = await world.config(policy('expiring', '{ beforeExpiry: 1h }', nightly));
    await requestRotation(queue, policyNamed(expiring, 'expiring'), 'expiry', {
      dueMs: NOW_MS,
      nowMs: NOW_MS,
    });
    await infra.records.update('expiring', (record) => ({
      ...record,
      current: { runId: 'expiring-1', handle: 'h', versionId: '0'.repeat(32), expiresAt: NOW_MS + HOUR_MS },
    }));

    const freeze =
      "{ allowed: [{ from: '22:00', to: '23:00' }], freezes: [{ from: 2026-12-02T00:00Z, to: 2026-12-05T00:00Z }] }";
    const after = await world.config(policy('expiring', '{ beforeExpiry: 1h }', freeze));
    const { deps, alerts, close } = depsFor(after);
    expect(await replanDeferredRuns(deps)).toEqual({ moved: 1, overridden: 1 });
    close();

    const overridden = await pendingOf('expiring');
    expect(await overridden.isDelayed()).toBe(false);
    expect(overridden.data.windowOverride).toEqual({
      expiresAt: NOW_MS + HOUR_MS,
      allowedAt: Date.parse('2026-12-05T22:00:00Z'),
      kind: 'freeze',
    });
    expect(alerts.map((alert) => [alert.type, alert.policyId])).toEqual([
      ['rotation.window_overridden', 'expiring'],
    ]);
  });
});
