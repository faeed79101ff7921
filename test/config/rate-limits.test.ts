import { describe, expect, it } from 'vitest';
import { env as baseEnv, load, validYaml } from './config-fixtures.js';

const moovEnv = {
  ...baseEnv,
  MOOV_PUBLIC: 'pk_test',
  MOOV_SECRET: 'sk_test',
  HORDE_SESSION: 'horde_session=abc',
};
const withConnections = (lines: string) => validYaml.replace('connections:\n', `connections:\n${lines}`);

async function loaded(yaml: string) {
  const result = await load(yaml, { env: moovEnv });
  if (!result.ok) throw new Error(result.problems.map((problem) => problem.message).join('\n'));
  return result.config;
}

describe('client-side rate limits in config', () => {
  it('defaults each connection to its provider’s documented quota, and AWS writes to 50 per second', async () => {
    const config = await loaded(
      withConnections(
        '  payments: { provider: moov, publicKey: { env: MOOV_PUBLIC }, secretKey: { env: MOOV_SECRET } }\n' +
          '  horde: { provider: telenor, session: { env: HORDE_SESSION } }\n',
      ),
    );
    const limits = Object.fromEntries(
      [...config.connections.values()].map((connection) => [connection.name, connection.rateLimit]),
    );
    expect(limits).toEqual({
      'cf-prod': { requests: 1_200, perMs: 300_000 },
      'cf-zone': { requests: 1_200, perMs: 300_000 },
      payments: { requests: 40, perMs: 1_000 },
      // Telenor documents no quota: no client-side limit unless configured.
      horde: undefined,
    });
    expect(config.sink.rateLimit).toEqual({ requests: 50, perMs: 1_000 });
  });

  it('takes a connection’s own limit, or none with `rateLimit: false`', async () => {
    const config = await loaded(
      withConnections(
        '  test-account: { provider: moov, publicKey: { env: MOOV_PUBLIC }, secretKey: { env: MOOV_SECRET }, rateLimit: { requests: 10, per: 1s } }\n' +
          '  unlimited: { provider: moov, publicKey: { env: MOOV_PUBLIC }, secretKey: { env: MOOV_SECRET }, rateLimit: false }\n',
      ).replace('region: eu-north-1 }', 'region: eu-north-1, rateLimit: false }'),
    );
    expect(config.connections.get('test-account')?.rateLimit).toEqual({ requests: 10, perMs: 1_000 });
    expect(config.connections.get('unlimited')?.rateLimit).toBeUndefined();
    expect(config.sink.rateLimit).toBe(false);
  });

  it.each([
    ['a limit without a window', 'rateLimit: { requests: 10 }', 'connections.cf-prod.rateLimit.per'],
    ['a zero limit', 'rateLimit: { requests: 0, per: 1s }', 'connections.cf-prod.rateLimit.requests'],
    [
      'a window that is not a duration',
      'rateLimit: { requests: 5, per: soon }',
      'connections.cf-prod.rateLimit.per',
    ],
    ['`true`', 'rateLimit: true', 'connections.cf-prod.rateLimit'],
  ])('names the path of %s', async (_name, setting, path) => {
    const yaml = validYaml.replace(
      'apiToken: { env: CLOUDFLARE_API_TOKEN } }',
      `apiToken: { env: CLOUDFLARE_API_TOKEN }, ${setting} }`,
    );
    const result = await load(yaml);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => problem.path)).toContain(path);
  });
});
