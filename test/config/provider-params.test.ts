import { describe, expect, it } from 'vitest';
import { env as baseEnv, load, validYaml } from './config-fixtures.js';

const connections = `
  moov: { provider: moov, publicKey: { env: MOOV_PUBLIC }, secretKey: { env: MOOV_SECRET } }
  tago: { provider: tagoio, token: { env: TAGO_TOKEN }, region: eu-w1 }
  horde: { provider: telenor, session: { env: HORDE_SESSION } }
`;
const policies = `
  - id: payments
    connection: moov
    action: clientCredentials
    target: { scope: "/accounts.read /ping.read" }
    schedule: { beforeExpiry: 5m }
    secret: { id: prod/payments }
  - id: gateway
    connection: tago
    action: rotate
    target: { name: gateway, permission: write, expireTime: 90d }
    schedule: { every: 30d }
    secret: { id: prod/gateway }
  - id: ingest
    connection: horde
    action: rotate
    target: { resource: /collections/17, write: false }
    schedule: { every: 30d }
    secret: { id: prod/ingest }
`;
const env = {
  MOOV_PUBLIC: 'pk_test',
  MOOV_SECRET: 'sk_test',
  TAGO_TOKEN: 'p-test',
  HORDE_SESSION: 'horde_session=abc',
};
const withProviders = validYaml
  .replace('connections:\n', `connections:${connections}`)
  .replace(/\npolicies:\n/, `\npolicies:${policies}`);

async function problemsOf(yaml: string) {
  const result = await load(yaml, { env: { ...baseEnv, ...env } });
  return result.ok ? [] : result.problems.map((problem) => [problem.path, problem.message] as const);
}

describe('provider parameters are checked with the path of the mistake', () => {
  it('accepts valid Moov, TagoIO and Telenor connections and policies', async () => {
    expect(await problemsOf(withProviders)).toEqual([]);
  });

  it.each([
    [
      'a Moov scope without a slash',
      'scope: "/accounts.read /ping.read"',
      'scope: "accounts.read"',
      'policies[0].target.scope',
      'space-separated scopes',
    ],
    [
      'a Moov action that does not exist',
      'action: clientCredentials',
      'action: password',
      'policies[0].action',
      'has no action "password"; expected one of clientCredentials, refreshToken',
    ],
    [
      'a Moov version of the wrong form',
      'secretKey: { env: MOOV_SECRET } }',
      'secretKey: { env: MOOV_SECRET }, moovVersion: "2022" }',
      'connections.moov.moovVersion',
      'v2026.07.00',
    ],
    [
      'a TagoIO region and base URL at once',
      'region: eu-w1 }',
      'region: eu-w1, baseUrl: "https://api.tago.io" }',
      'connections.tago.baseUrl',
      'expected region or baseUrl, not both',
    ],
    [
      'a TagoIO permission it does not have',
      'permission: write',
      'permission: admin',
      'policies[1].target.permission',
      'expected one of',
    ],
    [
      'a TagoIO expiry that is not a duration',
      'expireTime: 90d',
      'expireTime: soon',
      'policies[1].target.expireTime',
      'expected never or a duration such as 90d',
    ],
    [
      'a Telenor connection without credentials',
      '{ provider: telenor, session: { env: HORDE_SESSION } }',
      '{ provider: telenor }',
      'connections.horde.session',
      'expected session (CONNECT ID cookie) or apiToken',
    ],
    [
      'a Telenor resource that is not a path',
      'resource: /collections/17',
      'resource: collections',
      'policies[2].target.resource',
      'expected a resource path',
    ],
  ])('%s', async (_name, from, to, path, message) => {
    if (!withProviders.includes(from)) throw new Error(`fixture has no "${from}"`);
    const problems = await problemsOf(withProviders.replace(from, to));
    const match = problems.find(([where]) => where === path);
    expect(match, JSON.stringify(problems)).toBeDefined();
    expect(match?.[1]).toContain(message);
  });
});
