import { describe, expect, it } from 'vitest';
import { reportValidation } from '../../src/commands/validate.js';
import { formatProblem } from '../../src/config/config-problem.js';
import { load, validYaml } from './config-fixtures.js';
import { positionOf } from './yaml-position.js';

const REAL_AWS_SINK = 'sink: { type: aws-secrets-manager, region: eu-north-1 }';

/** The fixture config with the deploy policy (policies[1]) on `schedule` and the sink written as `sink`. */
function configWith(schedule: string, sink = REAL_AWS_SINK): string {
  return validYaml.replace('schedule: { every: 1d }', `schedule: ${schedule}`).replace(REAL_AWS_SINK, sink);
}

async function warningsOf(yaml: string) {
  const result = await load(yaml);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.warnings;
}

describe('a schedule writing to a real AWS secret more often than every 10 minutes', () => {
  it('loads, with one warning at the schedule saying what AWS advises and what to do for Moov tokens', async () => {
    const yaml = configWith('{ every: 5m }');
    const result = await load(yaml);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([
      expect.objectContaining({
        file: 'rotor.yaml',
        path: 'policies[1].schedule',
        ...positionOf(yaml, '{ every: 5m }'),
      }),
    ]);
    const [warning] = result.warnings;
    expect(warning?.message).toContain('prod/deploy/cloudflare-access');
    expect(warning?.message).toContain('10 minutes');
    expect(warning?.message).toContain('Moov');
  });

  it('warns for a cron every 5 minutes and for an amazonaws.com endpoint', async () => {
    expect((await warningsOf(configWith('{ cron: "*/5 * * * *" }'))).map((w) => w.path)).toEqual([
      'policies[1].schedule',
    ]);
    const regional =
      'sink: { type: aws-secrets-manager, region: eu-north-1, endpoint: https://secretsmanager.eu-north-1.amazonaws.com }';
    expect((await warningsOf(configWith('{ every: 5m }', regional))).map((w) => w.path)).toEqual([
      'policies[1].schedule',
    ]);
  });

  it('does not warn against an emulator, every 15 minutes, or when paused', async () => {
    const emulator =
      'sink: { type: aws-secrets-manager, region: eu-north-1, endpoint: "http://127.0.0.1:4566" }';
    expect(await warningsOf(configWith('{ every: 5m }', emulator))).toEqual([]);
    expect(await warningsOf(configWith('{ every: 15m }'))).toEqual([]);
    expect(await warningsOf(configWith('{ every: 10m }'))).toEqual([]);
    expect(await warningsOf(configWith('{ every: 5m, paused: true }'))).toEqual([]);
    expect(await warningsOf(validYaml)).toEqual([]);
  });

  it('rotor validate prints the warning to stderr, reports the config valid and exits 0', async () => {
    const yaml = configWith('{ every: 5m }');
    const { line, column } = positionOf(yaml, '{ every: 5m }');
    const result = await load(yaml);
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = reportValidation('rotor.yaml', result, {
      stdout: (text) => stdout.push(text),
      stderr: (text) => stderr.push(text),
    });
    expect(code).toBe(0);
    expect(stdout).toEqual(['rotor.yaml: valid (2 connections, 2 policies)\n']);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toContain(`warning: rotor.yaml:${line}:${column}: policies[1].schedule: `);
    expect(stderr[0]).toMatch(
      /^warning: rotor\.yaml:\d+:\d+: policies\[1\]\.schedule: writes a new version of AWS secret "prod\/deploy\/cloudflare-access" as often as every 5m; .*10 minutes.*Moov.*\n$/,
    );
  });
});
