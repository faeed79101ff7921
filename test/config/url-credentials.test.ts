import { describe, expect, it } from 'vitest';
import { env, load, validYaml } from './config-fixtures.js';

async function problemsOf(yaml: string, extraEnv: Record<string, string> = {}) {
  const result = await load(yaml, { env: { ...env, ...extraEnv } });
  return result.ok ? [] : result.problems.map((problem) => [problem.path, problem.message]);
}

const withConnection = (connection: string) =>
  validYaml.replace('connections:\n', `connections:\n  extra: ${connection}\n`);
const BASE_URL_ADVICE =
  "expected no user or password in the URL: remove them; the connection's credentials go in its own fields, by reference";
const alertEndpoint = (url: string) =>
  `${validYaml}\nalerts:\n  endpoints:\n    - { name: chat, format: slack, url: ${url} }\n`;

describe('credentials inside URLs are refused', () => {
  it.each([
    [
      'cloudflare',
      '{ provider: cloudflare, accountId: 023e105f4ecef8ad9ca31a8372d0c353, apiToken: { env: CLOUDFLARE_API_TOKEN }, baseUrl: "https://user:pass@api.example.com/client/v4" }',
    ],
    [
      'moov',
      '{ provider: moov, publicKey: { env: CLOUDFLARE_API_TOKEN }, secretKey: { env: CLOUDFLARE_API_TOKEN }, baseUrl: "https://pk:sk@moov.example.com" }',
    ],
    [
      'tagoio',
      '{ provider: tagoio, token: { env: CLOUDFLARE_API_TOKEN }, baseUrl: "https://profile-token@api.tagoio.example" }',
    ],
    [
      'telenor',
      '{ provider: telenor, apiToken: { env: CLOUDFLARE_API_TOKEN }, baseUrl: "http://:secret@127.0.0.1:8080" }',
    ],
  ])("in a %s connection's baseUrl", async (_, connection) => {
    expect(await problemsOf(withConnection(connection))).toEqual([
      ['connections.extra.baseUrl', BASE_URL_ADVICE],
    ]);
  });

  it("in an alert endpoint's url, unless the whole URL is given by reference", async () => {
    expect(await problemsOf(alertEndpoint('"https://bot:hunter2@hooks.example.com/a"'))).toEqual([
      [
        'alerts.endpoints[0].url',
        'expected no user or password in the URL: remove them, or give the whole URL by reference ({ env: NAME } or { file: PATH })',
      ],
    ]);
    const byReference = alertEndpoint('{ env: CHAT_URL }');
    expect(await problemsOf(byReference, { CHAT_URL: 'https://bot:hunter2@hooks.example.com/a' })).toEqual(
      [],
    );
  });

  it('in the AWS endpoint and a verify url', async () => {
    const yaml = validYaml
      .replace('region: eu-north-1 }', 'region: eu-north-1, endpoint: "http://AKIA:secret@127.0.0.1:4566" }')
      .replace('gracePeriod: 24h', 'gracePeriod: 24h\n    verify: { url: "https://u:p@app.example.com/" }');
    expect(await problemsOf(yaml)).toEqual([
      ['sink.endpoint', expect.stringContaining('expected no user or password in the URL')],
      ['policies[0].verify.url', expect.stringContaining('expected no user or password in the URL')],
    ]);
  });
});
