import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../src/config/config-problem.js';
import { formatProblem } from '../../src/config/config-problem.js';
import { apiToken, load, validYaml } from './config-fixtures.js';

async function problemsOf(yaml: string, env?: Record<string, string>): Promise<readonly ConfigProblem[]> {
  const result = await load(yaml, env ? { env } : {});
  if (result.ok) throw new Error('expected problems, the config loaded');
  return result.problems;
}

const edit = (from: string, to: string) => {
  if (!validYaml.includes(from)) throw new Error(`fixture has no "${from}"`);
  return validYaml.replace(from, to);
};

describe('a broken config names the path and what was expected', () => {
  it.each([
    [
      'unknown top-level key',
      `${validYaml}\nnotifications: {}\n`,
      'notifications',
      'unknown key "notifications"',
    ],
    ['unknown nested key', edit('prefix: rotor }', 'prefix: rotor, db: 2 }'), 'redis.db', 'unknown key "db"'],
    [
      'Sentinel and a URL at once',
      edit('prefix: rotor }', 'prefix: rotor, sentinels: [{ host: s1, port: 26379 }], name: main }'),
      'redis.url',
      'give either `url` or `sentinels`, not both',
    ],
    [
      'sentinels without the master group name',
      edit('redis: { url: redis://127.0.0.1:6379,', 'redis: { sentinels: [{ host: s1, port: 26379 }],'),
      'redis.name',
      'expected the master group name with `sentinels`',
    ],
    [
      'a Sentinel setting without sentinels',
      edit('prefix: rotor }', 'prefix: rotor, name: main }'),
      'redis.name',
      'only with `sentinels`',
    ],
    [
      'a replica wait mode that does not exist',
      edit('prefix: rotor }', 'prefix: rotor, replicaWait: { mode: sometimes } }'),
      'redis.replicaWait.mode',
      'expected one of "auto"|"on"|"off"',
    ],
    [
      'a sentinel without a port',
      edit('redis: { url: redis://127.0.0.1:6379,', 'redis: { sentinels: [{ host: s1 }], name: main,'),
      'redis.sentinels[0].port',
      'expected number',
    ],
    [
      'bad policy id',
      edit('id: ci-runner', 'id: CI_Runner'),
      'policies[0].id',
      'lowercase letters, digits and hyphens',
    ],
    [
      'duplicate policy id',
      edit('id: deploy', 'id: ci-runner'),
      'policies[1].id',
      'duplicate policy id "ci-runner"',
    ],
    [
      'unknown connection',
      edit('connection: cf-zone', 'connection: cf-staging'),
      'policies[1].connection',
      'unknown connection "cf-staging"; defined: cf-prod, cf-zone',
    ],
    [
      'unknown provider',
      edit('{ provider: cloudflare, zoneId', '{ provider: cloudflair, zoneId'),
      'connections.cf-zone.provider',
      'unknown provider "cloudflair"; expected one of cloudflare',
    ],
    [
      'action the provider lacks',
      edit(
        'action: rotate\n    target: { serviceTokenId: f174',
        'action: delete\n    target: { serviceTokenId: f174',
      ),
      'policies[0].action',
      'has no action "delete"; expected one of rotate, refresh',
    ],
    [
      'action every object has',
      edit(
        'action: rotate\n    target: { serviceTokenId: f174',
        'action: toString\n    target: { serviceTokenId: f174',
      ),
      'policies[0].action',
      'has no action "toString"; expected one of rotate, refresh',
    ],
    [
      'connection name outside the pattern',
      edit('  cf-prod: {', '  "cf prod": {'),
      'connections["cf prod"]',
      'expected letters, digits, "-" and "_" (at most 63)',
    ],
    [
      'redis url that is no URL',
      edit('url: redis://127.0.0.1:6379', 'url: not-a-url'),
      'redis.url',
      'expected a redis:// or rediss:// URL',
    ],
    [
      'action impossible on the connection',
      edit('    connection: cf-zone\n    action: rotate', '    connection: cf-zone\n    action: refresh'),
      'policies[1].action',
      'account-scoped',
    ],
    [
      'bad cron',
      edit('"0 3 * * 1"', '"61 3 * * 1"'),
      'policies[0].schedule.cron',
      'expected a valid cron expression',
    ],
    [
      'cron with too few fields',
      edit('"0 3 * * 1"', '"0 3 *"'),
      'policies[0].schedule.cron',
      'expected a cron expression with 5 fields',
    ],
    [
      'bad time zone',
      edit('tz: Europe/Oslo', 'tz: Europe/Olso'),
      'policies[0].schedule.tz',
      'expected an IANA time zone',
    ],
    [
      'two schedule kinds',
      edit('schedule: { every: 1d }', 'schedule: { every: 1d, cron: "0 3 * * *" }'),
      'policies[1].schedule',
      'exactly one of cron, every, beforeExpiry or manualOnly',
    ],
    [
      'bad duration',
      edit('jitter: 10m', 'jitter: 10 minutes'),
      'policies[0].schedule.jitter',
      'expected a duration such as 30s',
    ],
    [
      'grace longer than every',
      edit('schedule: { every: 1d }', 'schedule: { every: 1d }\n    gracePeriod: 2d'),
      'policies[1].gracePeriod',
      "expected at most the schedule's interval",
    ],
    [
      'grace longer than the cron gap',
      edit('gracePeriod: 24h', 'gracePeriod: 8d'),
      'policies[0].gracePeriod',
      "expected at most the schedule's interval",
    ],
    [
      'bad verify url',
      edit('gracePeriod: 24h', 'gracePeriod: 24h\n    verify: { url: not-a-url }'),
      'policies[0].verify.url',
      'Invalid URL',
    ],
    [
      'inline secret',
      edit('apiToken: { env: CLOUDFLARE_API_TOKEN }', 'apiToken: abc123'),
      'connections.cf-prod.apiToken',
      'inline secret values are not allowed',
    ],
    [
      'missing file',
      edit('/secrets/zone-token', '/secrets/nope'),
      'connections.cf-zone.apiToken',
      'cannot read file /secrets/nope (ENOENT)',
    ],
    [
      'active journal key not defined',
      edit('active: k1', 'active: k2'),
      'journal.active',
      'expected the id of a key in journal.keys (k1)',
    ],
    [
      'same secret for two policies',
      edit('id: prod/deploy/cloudflare-access', 'id: prod/ci/cloudflare-access'),
      'policies[1].secret.id',
      'already written by policy ci-runner',
    ],
    [
      'AWS credentials from AWS',
      edit(
        'region: eu-north-1 }',
        'region: eu-north-1, credentials: { accessKeyId: { awsSecret: a, key: b }, secretAccessKey: { env: X } } }',
      ),
      'sink.credentials.accessKeyId',
      'cannot come from AWS Secrets Manager',
    ],
    [
      'an API headers timeout longer than the request timeout',
      `${validYaml}\napi: { tokens: [{ env: T }], headersTimeout: 1m, requestTimeout: 30s }\n`,
      'api.headersTimeout',
      'expected at most requestTimeout',
    ],
    [
      'two API tokens of one name',
      `${validYaml}\napi: { tokens: [{ name: ops, token: { env: A } }, { name: ops, token: { env: B } }] }\n`,
      'api.tokens[1].name',
      'duplicate token name "ops"',
    ],
    [
      'a named API token without its reference',
      `${validYaml}\napi: { tokens: [{ name: ops, env: A }] }\n`,
      'api.tokens[0].env',
      'unknown key "env"',
    ],
  ])('%s', async (_, yaml, path, message) => {
    const problems = await problemsOf(yaml);
    const match = problems.find((problem) => problem.path === path);
    expect(match, problems.map(formatProblem).join('\n')).toBeDefined();
    expect(match?.message).toContain(message);
    expect(match?.line).toBeGreaterThan(0);
  });

  it('names a missing environment variable', async () => {
    const problems = await problemsOf(validYaml, { ROTOR_JOURNAL_KEY: Buffer.alloc(32).toString('base64') });
    expect(problems.map((problem) => [problem.path, problem.message])).toEqual([
      ['connections.cf-prod.apiToken', 'environment variable CLOUDFLARE_API_TOKEN is not set'],
    ]);
  });

  it('refuses a journal key that is not 32 bytes', async () => {
    const problems = await problemsOf(validYaml, {
      ROTOR_JOURNAL_KEY: Buffer.alloc(16).toString('base64'),
      CLOUDFLARE_API_TOKEN: apiToken,
    });
    expect(problems[0]).toMatchObject({
      path: 'journal.keys.k1',
      message: expect.stringContaining('exactly 32 random bytes'),
    });
  });

  it('refuses an API token shorter than 24 characters, naming its place in the list', async () => {
    const yaml = `${validYaml}\napi:\n  tokens:\n    - { env: API_TOKEN_OK }\n    - { env: API_TOKEN_SHORT }\n`;
    const problems = await problemsOf(yaml, {
      ROTOR_JOURNAL_KEY: Buffer.alloc(32).toString('base64'),
      CLOUDFLARE_API_TOKEN: apiToken,
      API_TOKEN_OK: 'x'.repeat(24),
      API_TOKEN_SHORT: 'short',
    });
    expect(problems.map((problem) => [problem.path, problem.message])).toEqual([
      ['api.tokens[1]', 'expected a token of at least 24 characters (openssl rand -base64 32)'],
    ]);
  });

  it('checks alert endpoints: a json endpoint needs a valid Standard Webhooks signing secret', async () => {
    const alerts = [
      'alerts:',
      '  endpoints:',
      '    - { name: unsigned, url: "https://hooks.example.com/a" }',
      '    - { name: badsecret, url: "https://hooks.example.com/b", secret: { env: WEBHOOK_SECRET } }',
      '    - { name: chat, url: "https://hooks.example.com/c", format: slack, events: [rotation.exploded] }',
    ].join('\n');
    const problems = await problemsOf(`${validYaml}\n${alerts}\n`, {
      ROTOR_JOURNAL_KEY: Buffer.alloc(32).toString('base64'),
      CLOUDFLARE_API_TOKEN: apiToken,
      WEBHOOK_SECRET: 'not base64 at all!',
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      'alerts.endpoints[0].secret',
      'alerts.endpoints[2].events[0]',
    ]);
    expect(problems[0]?.message).toBe('a json endpoint needs a signing secret');
  });

  it('refuses an alert signing secret that is not Standard Webhooks base64', async () => {
    const alerts =
      'alerts:\n  endpoints:\n    - { name: ops, url: "https://hooks.example.com/a", secret: { env: WEBHOOK_SECRET } }';
    const problems = await problemsOf(`${validYaml}\n${alerts}\n`, {
      ROTOR_JOURNAL_KEY: Buffer.alloc(32).toString('base64'),
      CLOUDFLARE_API_TOKEN: apiToken,
      WEBHOOK_SECRET: 'not base64 at all!',
    });
    expect(problems.map((problem) => [problem.path, problem.message])).toEqual([
      ['alerts.endpoints[0].secret', expect.stringContaining('Standard Webhooks signing secret')],
    ]);
  });

  it('reports a YAML syntax error with its line', async () => {
    const problems = await problemsOf('redis: { url: redis://x\npolicies: [\n');
    expect(problems[0]).toMatchObject({ path: '', message: expect.stringContaining('YAML syntax') });
    expect(problems[0]?.line).toBeGreaterThan(0);
  });

  it('reports problems of every section together', async () => {
    const yaml = edit('prefix: rotor }', 'prefix: rotor, db: 2 }')
      .replace('id: ci-runner', 'id: Bad')
      .replace('"0 3 * * 1"', '"x"');
    const paths = (await problemsOf(yaml)).map((problem) => problem.path);
    expect(paths).toEqual(
      expect.arrayContaining(['redis.db', 'policies[0].id', 'policies[0].schedule.cron']),
    );
  });

  it('never prints a resolved secret or an inline value', async () => {
    const yaml = edit(
      'apiToken: { env: CLOUDFLARE_API_TOKEN }',
      'apiToken: inline-Kq93hd8Fj2Lk5Mz7Xc1Vb4',
    ).replace('active: k1', 'active: k9');
    const text = (await problemsOf(yaml)).map(formatProblem).join('\n');
    expect(text).not.toContain('inline-Kq93hd8Fj2Lk5Mz7Xc1Vb4');
    expect(text).not.toContain(apiToken);
  });
});
