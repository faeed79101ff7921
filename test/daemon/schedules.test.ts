import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { systemClock } from '../../src/lib/clock.js';
import { expiryJobIdFor } from '../../src/queue/job-payloads.js';
import { runCli } from '../support/cli-run.js';
import { type EmulatedWorld, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { memoryLogger } from '../support/memory-log.js';

const LEAD_MS = 8000 * 3_600_000;

let world: EmulatedWorld;
let config: RotorConfig;
let infra: RedisInfrastructure;
let daemon: Daemon | undefined;
let workDir: string;
let configFile: string;

beforeAll(async () => {
  world = await startEmulatedWorld();
  const scheduled = world.cloudflare.seedToken({ name: 'scheduled', duration: '8760h' });
  const onDemand = world.cloudflare.seedToken({ name: 'on-demand', duration: '8760h' });
  const expiring = world.cloudflare.seedToken({ name: 'expiring', duration: '8760h' });
  const policies = `
    - id: scheduled
      connection: cf
      action: rotate
      target: { serviceTokenId: ${scheduled.id} }
      schedule: { every: 2s }
      secret: { id: schedules/scheduled }
    - id: on-demand
      connection: cf
      action: rotate
      target: { serviceTokenId: ${onDemand.id} }
      schedule: { manualOnly: true }
      secret: { id: schedules/on-demand }
    - id: expiring
      connection: cf
      action: rotate
      target: { serviceTokenId: ${expiring.id} }
      schedule: { beforeExpiry: 8000h }
      secret: { id: schedules/expiring }
  `;
  config = await world.config(policies, {
    api: 'host: 127.0.0.1\nport: 0\ntokens:\n  - { env: API_TOKEN_A }',
  });
  workDir = await mkdtemp(join(tmpdir(), 'rotor-schedules-'));
  configFile = join(workDir, 'rotor.yaml');
  await writeFile(configFile, world.yaml(policies));
  infra = connectRedis(config);
  daemon = await startDaemon(config, { log: memoryLogger('info').log, clock: systemClock });
});

afterAll(async () => {
  await daemon?.stop();
  await infra?.close();
  await world?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('schedules', () => {
  it('rotates a policy whose secret is missing at start, then on its schedule', async () => {
    const entries = await eventually('a scheduled rotation', async () => {
      const recent = await infra.history.recent('scheduled');
      return recent.some((entry) => entry.trigger === 'schedule' && entry.outcome === 'succeeded')
        ? recent
        : undefined;
    });

    expect(entries.at(-1)).toMatchObject({ trigger: 'initial', outcome: 'succeeded' });
    const record = await infra.records.get('scheduled');
    const versions = world.aws.store.view('schedules/scheduled').versions;
    expect(versions.find((v) => v.versionId === record.current?.versionId)?.stages).toEqual(['AWSCURRENT']);
  });

  it('reports how late scheduled runs started, and how long calls waited at rotor’s rate limits', async () => {
    await eventually('a scheduled rotation', async () => {
      const recent = await infra.history.recent('scheduled');
      return recent.some((entry) => entry.trigger === 'schedule') ? recent : undefined;
    });
    const response = await fetch(`${daemon?.apiUrl}/metrics`, {
      headers: { authorization: `Bearer ${world.env.API_TOKEN_A ?? ''}` },
    });
    const text = await response.text();

    expect(text).toMatch(/^rotor_scheduled_start_lateness_seconds_count\{trigger="schedule"\} [1-9]/m);
    // The runs at start (the secret was missing) are not scheduled runs: they are not counted as late.
    expect(text).not.toContain('trigger="initial"');
    expect(text).toMatch(/^rotor_rate_limit_wait_seconds_count\{limit="connection:cf"\} [1-9]/m);
    expect(text).toMatch(
      /^rotor_rate_limit_wait_seconds_count\{limit="aws-secrets-manager:us-east-1:writes"\} [1-9]/m,
    );
  });

  it('does not rotate a manual-only policy at start', async () => {
    expect(await infra.history.recent('on-demand')).toEqual([]);
    expect(world.aws.store.list().map((secret) => secret.name)).not.toContain('schedules/on-demand');
  });

  it('arms the before-expiry trigger at the credential’s expiry minus the lead time', async () => {
    const timer = await eventually('the expiry timer', () => infra.queue.getJob(expiryJobIdFor('expiring')));
    const expiresAt = (await infra.records.get('expiring')).current?.expiresAt ?? Number.NaN;

    expect(await timer.getState()).toBe('delayed');
    expect(timer.timestamp + (timer.opts.delay ?? 0)).toBe(expiresAt - LEAD_MS);
  });
});

describe('rotor status', () => {
  it('shows each policy’s state, next run, AWS version and expiry', async () => {
    await eventually('the expiry timer', () => infra.queue.getJob(expiryJobIdFor('expiring')));
    const { code, stdout } = await runCli(configFile, world.env, 'status', '--json');
    expect(code).toBe(0);

    const { policies } = JSON.parse(stdout) as {
      policies: { policyId: string; state: string; nextRunAt?: number }[];
    };
    const byId = new Map(policies.map((policy) => [policy.policyId, policy]));
    const expiring = await infra.records.get('expiring');
    expect(byId.get('expiring')).toMatchObject({
      state: 'scheduled',
      currentVersionId: expiring.current?.versionId,
      expiresAt: expiring.current?.expiresAt,
      nextRunAt: (expiring.current?.expiresAt ?? 0) - LEAD_MS,
    });
    expect(byId.get('on-demand')).toMatchObject({ state: 'idle' });
    expect(byId.get('scheduled')?.nextRunAt).toBeGreaterThan(Date.now() - 2_000);
  });
});
