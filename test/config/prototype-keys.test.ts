import { describe, expect, it } from 'vitest';
import { env, load, validYaml } from './config-fixtures.js';
import { validateYaml } from './validate-cli.js';

const edit = (from: string, to: string) => {
  if (!validYaml.includes(from)) throw new Error(`fixture has no "${from}"`);
  return validYaml.replace(from, to);
};

describe('a `__proto__` key is refused at its path, never dropped', () => {
  it('fails rotor validate on a connection named __proto__ instead of counting one fewer', async () => {
    const yaml = edit(
      'connections:\n',
      'connections:\n  __proto__: { provider: cloudflare, accountId: 023e105f4ecef8ad9ca31a8372d0c353, apiToken: { env: CLOUDFLARE_API_TOKEN } }\n',
    );
    const result = await validateYaml(yaml, env);
    expect(result).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /rotor\.yaml:\d+:\d+: connections\.__proto__: the key "__proto__" is not allowed/,
      ),
    });
  });

  it.each([
    [
      'a journal key',
      edit(
        'k1: { env: ROTOR_JOURNAL_KEY } }',
        'k1: { env: ROTOR_JOURNAL_KEY }, __proto__: { env: ROTOR_JOURNAL_KEY } }',
      ),
      'journal.keys.__proto__',
    ],
    [
      'an AWS tag',
      edit('region: eu-north-1 }', 'region: eu-north-1, tags: { __proto__: team-a } }'),
      'sink.tags.__proto__',
    ],
    [
      "a connection's settings",
      edit(
        'cf-prod: { provider: cloudflare,',
        'cf-prod: { __proto__: { zoneId: abc }, provider: cloudflare,',
      ),
      'connections.cf-prod.__proto__',
    ],
    [
      "a policy's target",
      edit(
        'target: { serviceTokenId: f174e90a-fafe-4643-bbbc-4a0ed4fc8415 }',
        'target: { serviceTokenId: f174e90a-fafe-4643-bbbc-4a0ed4fc8415, __proto__: { serviceTokenId: x } }',
      ),
      'policies[0].target.__proto__',
    ],
  ])('in %s', async (_, yaml, path) => {
    const result = await load(yaml);
    const problems = result.ok ? [] : result.problems.map((problem) => [problem.path, problem.message]);
    expect(problems).toEqual([[path, 'the key "__proto__" is not allowed']]);
    expect(Object.prototype).not.toHaveProperty('zoneId');
  });
});
