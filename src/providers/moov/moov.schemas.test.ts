import { describe, expect, it } from 'vitest';
import { moovConnectionSchema, moovCredentialSchema, moovTargetSchema } from './moov.schemas.js';

const keys = { publicKey: { env: 'MOOV_PUBLIC' }, secretKey: { env: 'MOOV_SECRET' } };

describe('Moov config schemas', () => {
  it('defaults the base URL and X-Moov-Version; the target’s flags default to no fallback and full revoke', () => {
    expect(moovConnectionSchema.parse(keys)).toMatchObject({
      baseUrl: 'https://api.moov.io',
      moovVersion: 'v2026.07.00',
    });
    expect(moovTargetSchema.parse({ scope: '/accounts.read /ping.read' })).toEqual({
      scope: '/accounts.read /ping.read',
      fallbackToClientCredentials: false,
      revokeRefreshToken: true,
    });
  });

  it('takes an https origin without a path, normalised to what an Origin header carries', () => {
    expect(moovConnectionSchema.parse({ ...keys, origin: 'https://App.Example.com/' }).origin).toBe(
      'https://app.example.com',
    );
    for (const origin of ['https://app.example.com/login', 'http://app.example.com', 'app.example.com'])
      expect(moovConnectionSchema.safeParse({ ...keys, origin }).success, origin).toBe(false);
  });

  it('refuses inline keys, scopes without a slash and a malformed version', () => {
    expect(moovConnectionSchema.safeParse({ publicKey: 'pk', secretKey: 'sk' }).success).toBe(false);
    expect(moovConnectionSchema.safeParse({ ...keys, moovVersion: '2022' }).success).toBe(false);
    expect(moovTargetSchema.safeParse({ scope: 'accounts.read' }).success).toBe(false);
    expect(moovTargetSchema.safeParse({ scope: '/accounts.read  /ping.read' }).success).toBe(false);
  });

  it('stores the pair with an ISO 8601 expiry', () => {
    const pair = {
      access_token: 'a',
      refresh_token: 'r',
      token_type: 'Bearer',
      scope: '/ping.read',
      expires_at: '2026-11-24T10:15:00.000Z',
    };
    expect(moovCredentialSchema.parse(pair)).toEqual(pair);
    expect(moovCredentialSchema.safeParse({ ...pair, expires_at: 1_795_608_000 }).success).toBe(false);
  });
});
