import { Moov } from '@moovio/sdk';
import { HTTPClient } from '@moovio/sdk/lib/http.js';
import { APIError } from '@moovio/sdk/models/errors/apierror.js';
import { AuthTokenRequestError } from '@moovio/sdk/models/errors/authtokenrequesterror.js';
import { GenericError } from '@moovio/sdk/models/errors/genericerror.js';
import { RevokeTokenRequestError } from '@moovio/sdk/models/errors/revoketokenrequesterror.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../domain/ids.js';
import { type RunningMoovEmulator, startMoovEmulator } from './moov.emulator.js';

const start = Date.parse('2026-11-24T10:00:00Z');
let now = start;
const clock = { now: () => now };
let emulator: RunningMoovEmulator;
let restricted: RunningMoovEmulator;
let moov: Moov;

beforeAll(async () => {
  emulator = await startMoovEmulator({ clock });
  restricted = await startMoovEmulator({ domains: ['app.example.com'] });
  moov = new Moov({
    security: { username: emulator.publicKey, password: emulator.secretKey },
    serverURL: emulator.server.origin,
  });
});
afterAll(async () => {
  await emulator.server.close();
  await restricted.server.close();
});
beforeEach(() => {
  now = start;
  emulator.server.faults.clear();
});

/** The SDK as a browser or scoped server would use it: with an access token instead of the API key. */
const withToken = (accessToken: string, on: RunningMoovEmulator = emulator) =>
  new Moov({ accessToken, serverURL: on.server.origin });

/** What the SDK's ping resolves to: the response headers, with Moov's request id. */
const answered = { headers: { 'x-request-id': [expect.stringMatching(/^[0-9a-f-]{36}$/)] } };

const mint = async (scope = '/accounts.read /ping.read') =>
  (await moov.authentication.createAccessToken({ grantType: 'client_credentials', scope })).result;

describe('the official @moovio/sdk against the Moov emulator', () => {
  it('mints a pair with client_credentials; expires_in is a Unix timestamp; the token reads /ping', async () => {
    const result = await mint();

    expect(result).toMatchObject({ tokenType: 'Bearer', scope: '/accounts.read /ping.read' });
    expect(result.expiresIn).toBe(Math.floor(start / 1000) + 900);
    await expect(withToken(result.accessToken).ping.ping()).resolves.toMatchObject(answered);
    await expect(moov.ping.ping()).resolves.toMatchObject(answered);
  });

  it('refreshes a pair once: the next pair keeps the scope, the used refresh token is refused (400)', async () => {
    const first = await mint('/ping.read');
    const { result: next } = await moov.authentication.createAccessToken({
      grantType: 'refresh_token',
      refreshToken: first.refreshToken,
    });
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(next.refreshToken).not.toBe(first.refreshToken);
    expect(next.scope).toBe('/ping.read');
    await expect(withToken(next.accessToken).ping.ping()).resolves.toMatchObject(answered);

    const reuse = moov.authentication.createAccessToken({
      grantType: 'refresh_token',
      refreshToken: first.refreshToken,
    });
    await expect(reuse).rejects.toBeInstanceOf(GenericError);
    await expect(reuse).rejects.toMatchObject({ statusCode: 400, error: 'invalid_grant' });
  });

  it('revokes an access token (204): /ping refuses it with 401 afterwards', async () => {
    const result = await mint();
    await withToken(result.accessToken).ping.ping();

    await moov.authentication.revokeAccessToken({ token: result.accessToken, tokenTypeHint: 'access_token' });

    const ping = withToken(result.accessToken).ping.ping();
    await expect(ping).rejects.toBeInstanceOf(APIError);
    await expect(ping).rejects.toMatchObject({ statusCode: 401 });
  });

  it('revokes a refresh token: it can no longer be redeemed; an unknown token is revoked with 204 too', async () => {
    const result = await mint();
    await moov.authentication.revokeAccessToken({
      token: result.refreshToken,
      tokenTypeHint: 'refresh_token',
    });
    await moov.authentication.revokeAccessToken({ token: 'moov_rt_never_issued' });

    await expect(
      moov.authentication.createAccessToken({
        grantType: 'refresh_token',
        refreshToken: result.refreshToken,
      }),
    ).rejects.toMatchObject({ statusCode: 400, error: 'invalid_grant' });
  });

  it('refuses an expired access token with 401', async () => {
    const result = await mint();
    now = start + 901_000;
    await expect(withToken(result.accessToken).ping.ping()).rejects.toMatchObject({ statusCode: 401 });
  });

  it('answers a token without /ping.read with 403 on /ping', async () => {
    const result = await mint('/accounts.read');
    await expect(withToken(result.accessToken).ping.ping()).rejects.toMatchObject({ statusCode: 403 });
  });

  it('answers a scope the key may not request, or none, with 422 and a scope message', async () => {
    const forbidden = moov.authentication.createAccessToken({
      grantType: 'client_credentials',
      scope: '/wallets.admin',
    });
    await expect(forbidden).rejects.toBeInstanceOf(AuthTokenRequestError);
    await expect(forbidden).rejects.toMatchObject({
      statusCode: 422,
      scope: 'scope /wallets.admin is not allowed for this API key',
    });
    await expect(
      moov.authentication.createAccessToken({ grantType: 'client_credentials' }),
    ).rejects.toMatchObject({ statusCode: 422, scope: expect.stringMatching(/scope is required/) });
  });

  it('answers a revoke without a token with 422 and a token message', async () => {
    const revoke = moov.authentication.revokeAccessToken({ token: '' });
    await expect(revoke).rejects.toBeInstanceOf(RevokeTokenRequestError);
    await expect(revoke).rejects.toMatchObject({ statusCode: 422, token: 'token is required' });
  });

  it('refuses a wrong API key with 401', async () => {
    const stranger = new Moov({
      security: { username: emulator.publicKey, password: 'sk_wrong' },
      serverURL: emulator.server.origin,
    });
    const request = stranger.authentication.createAccessToken({
      grantType: 'client_credentials',
      scope: '/ping.read',
    });
    await expect(request).rejects.toBeInstanceOf(APIError);
    await expect(request).rejects.toMatchObject({ statusCode: 401 });
    await expect(stranger.ping.ping()).rejects.toMatchObject({ statusCode: 401 });
  });

  it('answers an injected 429 with Retry-After (s), X-Retry-In (ms) and a request id', async () => {
    emulator.server.faults.add({
      route: 'createAccessToken',
      fault: { kind: 'rate-limit', retryAfterSeconds: 2 },
      times: 1,
    });
    const failure = await mint().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(APIError);
    const { statusCode, headers } = failure as APIError;
    expect(statusCode).toBe(429);
    expect(headers.get('retry-after')).toBe('2');
    expect(headers.get('x-retry-in')).toBe('2000');
    expect(headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('checks the Origin of a key with a domain list, on token calls and on calls with its tokens', async () => {
    const origin = (value: string) => {
      const httpClient = new HTTPClient();
      httpClient.addHook('beforeRequest', (request) => {
        request.headers.set('origin', value);
      });
      return httpClient;
    };
    const keyed = (value: string) =>
      new Moov({
        security: { username: restricted.publicKey, password: restricted.secretKey },
        serverURL: restricted.server.origin,
        httpClient: origin(value),
      });

    await expect(
      keyed('https://evil.example').authentication.createAccessToken({
        grantType: 'client_credentials',
        scope: '/ping.read',
      }),
    ).rejects.toMatchObject({ statusCode: 403 });
    const { result } = await keyed('https://app.example.com').authentication.createAccessToken({
      grantType: 'client_credentials',
      scope: '/ping.read',
    });
    await expect(withToken(result.accessToken, restricted).ping.ping()).rejects.toMatchObject({
      statusCode: 403,
    });
    await expect(
      new Moov({
        accessToken: result.accessToken,
        serverURL: restricted.server.origin,
        httpClient: origin('https://app.example.com'),
      }).ping.ping(),
    ).resolves.toMatchObject(answered);
  });
});

describe('the Moov emulator beyond the SDK', () => {
  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${emulator.server.origin}${path}`, { method: 'POST', headers, body });

  it('accepts form bodies with the API key in the body, as older clients send them', async () => {
    const response = await post(
      '/oauth2/token',
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: emulator.publicKey,
        client_secret: emulator.secretKey,
        scope: '/accounts.read',
      }).toString(),
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', scope: '/accounts.read' });
  });

  it('answers an unknown grant type with 400 and a malformed X-Moov-Version with 404', async () => {
    const basic = `Basic ${Buffer.from(`${emulator.publicKey}:${emulator.secretKey}`).toString('base64')}`;
    const password = await post('/oauth2/token', JSON.stringify({ grant_type: 'password' }), {
      'content-type': 'application/json',
      authorization: basic,
    });
    expect(password.status).toBe(400);
    expect(await password.json()).toEqual({ error: 'unsupported_grant_type' });

    const versioned = await fetch(`${emulator.server.origin}/ping`, {
      headers: { authorization: basic, 'x-moov-version': '2022' },
    });
    expect(versioned.status).toBe(404);
  });

  it('answers a JSON token request that does not parse with 400 invalid_request and a request id', async () => {
    const basic = `Basic ${Buffer.from(`${emulator.publicKey}:${emulator.secretKey}`).toString('base64')}`;
    const response = await post('/oauth2/token', '{"grant_type":', {
      'content-type': 'application/json',
      authorization: basic,
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({ error: 'invalid_request' });
  });

  it('serves expires_in in seconds when told to', async () => {
    const seconds = await startMoovEmulator({ expiresIn: 'seconds', accessTokenTtlSeconds: 600 });
    try {
      const sdk = new Moov({
        security: { username: seconds.publicKey, password: seconds.secretKey },
        serverURL: seconds.server.origin,
      });
      const { result } = await sdk.authentication.createAccessToken({
        grantType: 'client_credentials',
        scope: '/ping.read',
      });
      expect(result.expiresIn).toBe(600);
    } finally {
      await seconds.server.close();
    }
  });

  it('lists tokens on its control endpoint by fingerprint and state, never by value', async () => {
    const result = await mint();
    await moov.authentication.revokeAccessToken({ token: result.accessToken });

    const response = await fetch(`${emulator.server.origin}/__emulator/tokens`);
    const text = await response.text();
    expect(text).not.toContain(result.accessToken);
    expect(text).not.toContain(result.refreshToken);
    const { tokens } = JSON.parse(text) as { tokens: { fingerprint: string; state: string }[] };
    expect(tokens.find((token) => token.fingerprint === fingerprint(result.accessToken))?.state).toBe(
      'revoked',
    );
    expect(tokens.find((token) => token.fingerprint === fingerprint(result.refreshToken))?.state).toBe(
      'live',
    );
  });

  it('lists which token call minted each token: a pair shares it, the next call has its own', async () => {
    const first = await mint();
    const second = await mint();

    const response = await fetch(`${emulator.server.origin}/__emulator/tokens`);
    const { tokens } = (await response.json()) as { tokens: { fingerprint: string; issue?: string }[] };
    const issueOf = (token: string) =>
      tokens.find((listed) => listed.fingerprint === fingerprint(token))?.issue;
    expect(issueOf(first.accessToken)).toEqual(expect.any(String));
    expect(issueOf(first.refreshToken)).toBe(issueOf(first.accessToken));
    expect(issueOf(second.refreshToken)).toBe(issueOf(second.accessToken));
    expect(issueOf(second.accessToken)).not.toBe(issueOf(first.accessToken));
  });

  it('seeds a pair over the control endpoint that the API then accepts', async () => {
    const response = await post('/__emulator/tokens', JSON.stringify({ scope: '/ping.read' }), {
      'content-type': 'application/json',
    });
    expect(response.status).toBe(201);
    const seeded = (await response.json()) as { access_token: string; expires_at: string };
    await expect(withToken(seeded.access_token).ping.ping()).resolves.toMatchObject(answered);
    expect(emulator.store.mintedSecrets()).toContain(seeded.access_token);
  });
});
