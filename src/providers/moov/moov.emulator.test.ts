import { Moov } from '@moovio/sdk';
import { APIError } from '@moovio/sdk/models/errors/apierror.js';
import { AuthTokenRequestError } from '@moovio/sdk/models/errors/authtokenrequesterror.js';
import { GenericError } from '@moovio/sdk/models/errors/genericerror.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMoovEmulator, startMoovEmulator } from './moov.emulator.js';

let emulator: RunningMoovEmulator;
let moov: Moov;
const ping = (token: string) =>
  fetch(`${emulator.server.origin}/ping`, { headers: { authorization: `Bearer ${token}` } }).then(
    (r) => r.status,
  );

beforeAll(async () => {
  emulator = await startMoovEmulator();
  moov = new Moov({
    security: { username: emulator.publicKey, password: emulator.secretKey },
    serverURL: emulator.server.origin,
  });
});
afterAll(() => emulator.server.close());

describe('the official @moovio/sdk against the Moov emulator', () => {
  it('mints a token pair with client_credentials; the access token reads /ping', async () => {
    const { result } = await moov.authentication.createAccessToken({
      grantType: 'client_credentials',
      scope: '/accounts.read /ping.read',
    });

    expect(result).toMatchObject({ tokenType: 'Bearer', scope: '/accounts.read /ping.read' });
    expect(result.expiresIn).toBeGreaterThan(Date.now() / 1000);
    expect(await ping(result.accessToken)).toBe(200);
    await expect(moov.ping.ping()).resolves.toBeDefined();
  });

  it('refreshes with a refresh token once (single use by default)', async () => {
    const first = (
      await moov.authentication.createAccessToken({ grantType: 'client_credentials', scope: '/ping.read' })
    ).result;
    const next = (
      await moov.authentication.createAccessToken({
        grantType: 'refresh_token',
        refreshToken: first.refreshToken,
      })
    ).result;
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(next.scope).toBe('/ping.read');

    const reuse = moov.authentication.createAccessToken({
      grantType: 'refresh_token',
      refreshToken: first.refreshToken,
    });
    await expect(reuse).rejects.toBeInstanceOf(GenericError);
    await expect(reuse).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes an access token (204): /ping refuses it afterwards', async () => {
    const { result } = await moov.authentication.createAccessToken({
      grantType: 'client_credentials',
      scope: '/ping.read',
    });

    await moov.authentication.revokeAccessToken({ token: result.accessToken, tokenTypeHint: 'access_token' });

    expect(await ping(result.accessToken)).toBe(401);
  });

  it('answers a scope the key may not request with 422 and a field message', async () => {
    const request = moov.authentication.createAccessToken({
      grantType: 'client_credentials',
      scope: '/wallets.admin',
    });
    await expect(request).rejects.toBeInstanceOf(AuthTokenRequestError);
    await expect(request).rejects.toMatchObject({
      scope: 'scope /wallets.admin is not allowed for this API key',
    });
  });

  it('refuses a wrong API key with 401', async () => {
    const stranger = new Moov({
      security: { username: 'pk_x', password: 'sk_y' },
      serverURL: emulator.server.origin,
    });
    const request = stranger.authentication.createAccessToken({
      grantType: 'client_credentials',
      scope: '/ping.read',
    });
    await expect(request).rejects.toBeInstanceOf(APIError);
    await expect(request).rejects.toMatchObject({ statusCode: 401 });
  });

  it('accepts form bodies with credentials in the body, as older clients send them', async () => {
    const response = await fetch(`${emulator.server.origin}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: emulator.publicKey,
        client_secret: emulator.secretKey,
        scope: '/accounts.read',
      }).toString(),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
