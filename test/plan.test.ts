import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../src/domain/duration.js';
import { jitterOffsetMs } from '../src/domain/jitter-offset.js';
import { formatInZone, nextRuns } from '../src/plan/next-runs.js';
import { runCli } from './support/cli-run.js';
import { type EmulatedWorld, startEmulatedWorld } from './support/emulated-world.js';

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

  async function plan(policies: string) {
    const file = join(workDir, `plan-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, world.yaml(policies));
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
});
