import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../src/config/config-problem.js';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { load, validYaml } from './config-fixtures.js';
import { positionOf } from './yaml-position.js';

const ms = (text: string) => Date.parse(text);
const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * The fixture config with a `rotationWindows` block (YAML lines at the top level) and `windows` blocks for
 * its two policies, ci-runner (policies[0]) and deploy (policies[1]), each written as lines under the policy.
 */
function withWindows(parts: { defaults?: string; ciRunner?: string; deploy?: string }): string {
  const policyWindows = (lines: string | undefined) =>
    lines === undefined ? '' : `    windows:\n${indent(lines, 6)}\n`;
  return validYaml
    .replace(
      'connections:\n',
      `${parts.defaults === undefined ? '' : `rotationWindows:\n${indent(parts.defaults, 2)}\n`}connections:\n`,
    )
    .replace('    gracePeriod: 24h\n', `    gracePeriod: 24h\n${policyWindows(parts.ciRunner)}`)
    .replace('    schedule: { every: 1d }\n', `    schedule: { every: 1d }\n${policyWindows(parts.deploy)}`);
}

function indent(lines: string, spaces: number): string {
  return lines
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');
}

async function configOf(yaml: string): Promise<RotorConfig> {
  const result = await load(yaml);
  if (!result.ok)
    throw new Error(result.problems.map((problem) => `${problem.path}: ${problem.message}`).join('\n'));
  return result.config;
}

async function problemsOf(yaml: string): Promise<readonly ConfigProblem[]> {
  const result = await load(yaml);
  if (result.ok) throw new Error('expected problems, the config loaded');
  return result.problems;
}

const weekendWindow = "- { days: [sat, sun], from: '01:00', to: '05:00', timeZone: Europe/Oslo }";
const holidayFreeze =
  '- { from: 2026-12-20T00:00, to: 2027-01-03T00:00, timeZone: Europe/Oslo, reason: year-end }';
const weekendAllowed = { days: ['sat', 'sun'], from: '01:00', to: '05:00', timeZone: 'Europe/Oslo' };
const holidays = {
  fromMs: ms('2026-12-20T00:00+01:00'),
  toMs: ms('2027-01-03T00:00+01:00'),
  reason: 'year-end',
};

// Four years: no rotation could start from its beginning within the 3-year horizon.
const endlessFreeze = '- { from: 2027-01-01T00:00Z, to: 2031-01-01T00:00Z, reason: forever }';
// Lifts a day before the 3-year horizon from its beginning (a Wednesday): an any-time policy may start then,
// but a Saturday-only one would next open after the horizon.
const nearlyEndlessFreeze = '- { from: 2027-01-01T00:00Z, to: 2030-01-02T00:00Z }';

describe('a policy’s windows in config', () => {
  it('leaves windows undefined for policies when nothing restricts them', async () => {
    const config = await configOf(validYaml);
    expect(config.policies.map((policy) => policy.windows)).toEqual([undefined, undefined]);
  });

  it('inherits rotationWindows when the policy gives none', async () => {
    const config = await configOf(
      withWindows({ defaults: `allowed:\n  ${weekendWindow}\nfreezes:\n  ${holidayFreeze}` }),
    );
    for (const policy of config.policies)
      expect(policy.windows).toEqual({ allowed: [weekendAllowed], freezes: [holidays] });
  });

  it('takes the policy’s own allowed windows in place of the default’s, and still applies the default freezes', async () => {
    const config = await configOf(
      withWindows({
        defaults: `allowed:\n  ${weekendWindow}\nfreezes:\n  ${holidayFreeze}`,
        deploy: "allowed:\n  - { from: '22:00', to: '02:00' }",
      }),
    );
    const [ciRunner, deploy] = config.policies;
    expect(ciRunner?.windows).toEqual({ allowed: [weekendAllowed], freezes: [holidays] });
    expect(deploy?.windows).toEqual({
      allowed: [{ days: everyDay, from: '22:00', to: '02:00', timeZone: 'UTC' }],
      freezes: [holidays],
    });
  });

  it('drops the default freezes for a policy that writes freezes: []', async () => {
    const config = await configOf(
      withWindows({
        defaults: `allowed:\n  ${weekendWindow}\nfreezes:\n  ${holidayFreeze}`,
        deploy: 'freezes: []',
      }),
    );
    expect(config.policies[1]?.windows).toEqual({ allowed: [weekendAllowed], freezes: [] });
    // With only freezes as the default, freezes: [] leaves the policy unrestricted.
    const freezesOnly = await configOf(
      withWindows({ defaults: `freezes:\n  ${holidayFreeze}`, deploy: 'freezes: []' }),
    );
    expect(freezesOnly.policies.map((policy) => policy.windows)).toEqual([
      { freezes: [holidays] },
      undefined,
    ]);
  });

  it('reports a default that never opens once, at rotationWindows with its line, however many policies inherit it', async () => {
    const yaml = withWindows({ defaults: `freezes:\n  ${endlessFreeze}` });
    expect(await problemsOf(yaml)).toEqual([
      {
        file: 'rotor.yaml',
        path: 'rotationWindows.freezes[0]',
        ...positionOf(yaml, '{ from: 2027-01-01T00:00Z, to: 2031'),
        message: expect.stringContaining('leaves no rotation a start within 3 years'),
      },
    ]);

    // A policy that gives its own allowed windows still inherits the freeze: nothing more to report.
    const partlyOwn = withWindows({
      defaults: `freezes:\n  ${endlessFreeze}`,
      ciRunner: `allowed:\n  ${weekendWindow}`,
    });
    expect((await problemsOf(partlyOwn)).map((problem) => problem.path)).toEqual([
      'rotationWindows.freezes[0]',
    ]);

    const noWindows = withWindows({ defaults: 'allowed: []' });
    expect(await problemsOf(noWindows)).toEqual([
      {
        file: 'rotor.yaml',
        path: 'rotationWindows.allowed',
        ...positionOf(noWindows, '[]'),
        message: expect.stringContaining('lists no windows, so no rotation could start'),
      },
    ]);
  });

  it('reports a policy’s own freeze that never lets it open at that freeze, in the policy', async () => {
    const yaml = withWindows({
      defaults: `allowed:\n  ${weekendWindow}`,
      deploy: `freezes:\n  ${endlessFreeze}`,
    });
    expect(await problemsOf(yaml)).toEqual([
      {
        file: 'rotor.yaml',
        path: 'policies[1].windows.freezes[0]',
        ...positionOf(yaml, '{ from: 2027-01-01T00:00Z, to: 2031'),
        message: expect.stringContaining('leaves no rotation a start within 3 years'),
      },
    ]);
  });

  it('reports a default freeze that closes everything only beside a policy’s own windows at that policy, naming the freeze', async () => {
    const yaml = withWindows({
      defaults: `freezes:\n  ${nearlyEndlessFreeze}`,
      deploy: "allowed:\n  - { days: [sat], from: '01:00', to: '05:00' }",
    });
    const problems = await problemsOf(yaml);
    expect(problems).toEqual([
      {
        file: 'rotor.yaml',
        path: 'policies[1].windows',
        ...positionOf(yaml, "allowed:\n        - { days: [sat], from: '01:00'"),
        message: expect.stringMatching(
          /^with rotationWindows\.freezes\[0\]: leaves no rotation a start within 3 years after it begins \(2027-01-01T00:00:00\.000Z\)/,
        ),
      },
    ]);
  });
});
