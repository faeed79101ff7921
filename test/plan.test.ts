import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../src/domain/duration.js';
import { jitterOffsetMs } from '../src/domain/jitter-offset.js';
import { formatInZone, nextRuns } from '../src/plan/next-runs.js';
import { runCli } from './support/cli-run.js';
import { type EmulatedWorld, startEmulatedWorld } from './support/emulated-world.js';
import { freePort } from './support/free-port.js';
import type { WorldSections } from './support/world-config.js';

describe('next run times', () => {
  const from = Date.parse('2026-11-24T12:00:00Z');

  it('follows a cron expression in its time zone, across a DST change', () => {
    const runs = nextRuns(
      { kind: 'cron', pattern: '30 2 * * 0', tz: 'Europe/Oslo' },
      Date.parse('2027-03-20T00:00:00Z'),
      2,
    );
    expect(runs.map((at) => formatInZone(at, 'Europe/Oslo'))).toEqual([
      '2027-03-21 02:30 Europe/Oslo',
      '2027-03-28 03:30 Europe/Oslo',
    ]);
  });

  it('spaces `every` runs one interval apart, the first one interval out', () => {
    expect(nextRuns({ kind: 'every', everyMs: 3_600_000 }, from, 2)).toEqual([
      from + 3_600_000,
      from + 7_200_000,
    ]);
  });

  it('has no fixed times for before-expiry and manual schedules', () => {
    expect(nextRuns({ kind: 'beforeExpiry', leadMs: 1 }, from, 3)).toEqual([]);
    expect(nextRuns({ kind: 'manual' }, from, 3)).toEqual([]);
  });
});

describe('rotor plan', () => {
  let world: EmulatedWorld;
  let workDir: string;

  beforeAll(async () => {
    world = await startEmulatedWorld();
    workDir = await mkdtemp(join(tmpdir(), 'rotor-plan-'));
  });

  afterAll(async () => {
    await world?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function plan(policies: string, sections?: WorldSections) {
    const file = join(workDir, `plan-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, world.yaml(policies, sections));
    return runCli(file, world.env, 'plan');
  }

  it('shows what each policy does and when, runs read-only checks, and changes nothing', async () => {
    const token = world.cloudflare.seedToken({ name: 'planned', duration: '8760h' });
    world.cloudflare.server.calls.clear();
    const result = await plan(`
      - id: nightly
        connection: cf
        action: rotate
        target: { serviceTokenId: ${token.id} }
        schedule: { cron: "0 3 * * *", tz: Europe/Oslo, jitter: 5m }
        gracePeriod: 2h
        secret: { id: plan/nightly }
    `);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^nightly\n {2}does {9}cloudflare rotate \(native-grace\): new client secret/m,
    );
    expect(result.stdout).toMatch(/AWS secret {3}plan\/nightly/);
    expect(result.stdout).toMatch(/grace {8}2h/);
    expect(result.stdout).toMatch(/next runs {4}\d{4}-\d\d-\d\d 03:00 Europe\/Oslo, /);
    const offsetToTheSecondMs =
      Math.floor(jitterOffsetMs({ id: 'nightly', jitterMs: 300_000 }) / 1000) * 1000;
    expect(result.stdout).toContain(`(+ ${formatDuration(offsetToTheSecondMs)} jitter, of up to 5m)`);
    expect(result.stdout).toMatch(/ok {11}cloudflare admin credential and target: ok/);
    expect(result.stdout).toMatch(/ok {11}AWS secret: does not exist yet: the first run creates it/);
    expect(result.stdout).toMatch(/all checks passed; nothing was issued or changed/);
    const calls = world.cloudflare.server.calls.all().map((call) => call.method);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((method) => method === 'GET')).toBe(true);
    expect(world.aws.store.list().map((secret) => secret.name)).not.toContain('plan/nightly');
  });

  it('shows a windowed policy’s next runs where its windows and freezes let them start, and why each moved', async () => {
    const token = world.cloudflare.seedToken({ name: 'windowed', duration: '8760h' });
    // A freeze from yesterday to three days on (UTC midnights), so the plan reads the same whenever it runs.
    const todayMs = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    const day = (offset: number) => new Date(todayMs + offset * 86_400_000).toISOString().slice(0, 10);
    const result = await plan(`
      - id: windowed
        connection: cf
        action: rotate
        target: { serviceTokenId: ${token.id} }
        schedule: { cron: "0 12 * * *", tz: Europe/Oslo }
        windows:
          allowed:
            - { from: '01:00', to: '05:00', timeZone: Europe/Oslo }
          freezes:
            - { from: ${day(-1)}T00:00Z, to: ${day(3)}T00:00Z, reason: release freeze }
        secret: { id: plan/windowed }
    `);

    expect(result.code).toBe(0);
    const freezeEnd = formatInZone(Date.parse(`${day(3)}T00:00Z`), 'Europe/Oslo');
    const runs = /next runs {4}(.*)\n/.exec(result.stdout)?.[1];
    expect(runs?.split(/, (?=\d{4}-)/)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${freezeEnd} \\(due \\d{4}-\\d\\d-\\d\\d 12:00 Europe/Oslo, in a change freeze \\(release freeze\\)\\)$`,
        ),
      ),
      `${day(4)} 01:00 Europe/Oslo (due ${day(3)} 12:00 Europe/Oslo, outside the policy’s allowed windows)`,
      `${day(5)} 01:00 Europe/Oslo (due ${day(4)} 12:00 Europe/Oslo, outside the policy’s allowed windows)`,
    ]);
    expect(result.stdout).toContain('  windows      mon,tue,wed,thu,fri,sat,sun 01:00–05:00 Europe/Oslo\n');
    expect(result.stdout).toContain(
      `  freezes      ${day(-1)}T00:00:00.000Z until ${day(3)}T00:00:00.000Z (release freeze)\n`,
    );
  });

  it('exits 1 naming each failed check: an unknown target, a secret under AWS’s own rotation', async () => {
    const token = world.cloudflare.seedToken({ name: 'aws-rotated', duration: '8760h' });
    world.aws.store.create({
      name: 'plan/aws-rotated',
      tags: new Map(),
      clientRequestToken: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
      value: { kind: 'string', text: '{}' },
    });
    world.aws.store.setRotationEnabled('plan/aws-rotated', true);
    const result = await plan(`
      - id: missing-token
        connection: cf
        action: rotate
        target: { serviceTokenId: 00000000-0000-4000-8000-000000000000 }
        schedule: { every: 1d }
        secret: { id: plan/missing }
      - id: fights-aws
        connection: cf
        action: rotate
        target: { serviceTokenId: ${token.id} }
        schedule: { manualOnly: true }
        secret: { id: plan/aws-rotated, adopt: true }
    `);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL {9}cloudflare admin credential and target: .*404/);
    expect(result.stdout).toMatch(/FAIL {9}AWS secret: .*rotation/i);
    expect(result.stderr).toBe('2 checks failed\n');
  });

  it('reads each consumer’s confirmation URL once: a reachable one shows the version it uses, a down one fails the plan; reload hooks are not called', async () => {
    const versionId = randomUUID();
    const requests: string[] = [];
    const consumer = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ versionId }));
    });
    consumer.listen(0, '127.0.0.1');
    await once(consumer, 'listening');
    const up = `127.0.0.1:${(consumer.address() as AddressInfo).port}`;
    const down = `127.0.0.1:${await freePort()}`;
    const token = world.cloudflare.seedToken({ name: 'consumed', duration: '8760h' });
    try {
      const result = await plan(
        `
      - id: consumed
        connection: cf
        action: rotate
        target: { serviceTokenId: ${token.id} }
        schedule: { every: 1d }
        secret: { id: plan/consumed }
        consumers:
          - name: billing-api
            reload: { url: http://${up}/rotor/reload, secret: { env: WEBHOOK_SECRET } }
            confirm: { poll: http://${up}/rotor/version, every: 30s }
          - name: reports
            confirm: { poll: http://${down}/version }
          - name: batch
            confirm: { ack: { env: API_TOKEN_A } }
    `,
        // An ack consumer posts to the API: the config has one (plan does not start it).
        { api: 'host: 127.0.0.1\nport: 0\ntokens:\n  - { env: API_TOKEN_B }' },
      );

      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        `  consumers    the old secret expires after the grace period; consumers.unconfirmed is alerted before it if they have not confirmed\n`,
      );
      expect(result.stdout).toContain(
        `billing-api: reload hook to ${up} (not called by plan); confirms when`,
      );
      expect(result.stdout).toContain(
        'batch: confirms by ack (POST /v1/policies/consumed/versions/<versionId>/ack)',
      );
      expect(result.stdout).toContain(
        `  ok           consumer billing-api confirmation URL (${up}): reachable, uses version ${versionId}\n`,
      );
      expect(result.stdout).toMatch(
        new RegExp(
          `FAIL {9}consumer reports confirmation URL \\(${down}\\): did not answer \\(ECONNREFUSED\\)`,
        ),
      );
      expect(result.stderr).toBe('1 check failed\n');
      expect(requests).toEqual(['GET /rotor/version']);
      for (const secret of [world.env.WEBHOOK_SECRET, world.env.API_TOKEN_A]) {
        expect(result.stdout).not.toContain(secret);
      }
    } finally {
      consumer.closeAllConnections();
      consumer.close();
    }
  });
});
