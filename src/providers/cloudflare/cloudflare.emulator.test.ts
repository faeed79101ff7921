import Cloudflare from 'cloudflare';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningCloudflareEmulator, startCloudflareEmulator } from './cloudflare.emulator.js';

const start = Date.parse('2026-11-24T10:00:00Z');
let now = start;
const clock = { now: () => now };
let emulator: RunningCloudflareEmulator;
let cf: Cloudflare;
let accountId: string;

beforeAll(async () => {
  emulator = await startCloudflareEmulator({ clock });
  accountId = emulator.admin.accountId;
  cf = new Cloudflare({ apiToken: emulator.admin.apiToken, baseURL: emulator.client.baseUrl, maxRetries: 0 });
});
afterAll(() => emulator.server.close());
beforeEach(() => {
  now = start;
  emulator.server.faults.clear();
});

async function access(clientId: string | undefined, clientSecret: string | undefined): Promise<Response> {
  const headers: Record<string, string> = {};
  if (clientId !== undefined) headers['CF-Access-Client-Id'] = clientId;
  if (clientSecret !== undefined) headers['CF-Access-Client-Secret'] = clientSecret;
  return fetch(emulator.client.accessUrl ?? '', { headers, redirect: 'manual' });
}

describe('Cloudflare emulator with the official SDK', () => {
  it('creates a token, returning its secret once, with expiry from its duration', async () => {
    const created = await cf.zeroTrust.access.serviceTokens.create({
      account_id: accountId,
      name: 'ci',
      duration: '24h',
    });
    expect(created.client_secret).toMatch(/^[0-9a-f]{64}$/);
    const fetched = await cf.zeroTrust.access.serviceTokens.get(created.id ?? '', { account_id: accountId });
    expect(fetched).not.toHaveProperty('client_secret');
    expect(fetched.client_id).toBe(created.client_id);
    expect(fetched.expires_at).toBe(new Date(start + 86_400_000).toISOString());
  });

  it('lists every token across pages', async () => {
    for (let i = 0; i < 7; i++) emulator.seedToken({ name: `paged-${i}` });
    const names: string[] = [];
    for await (const token of cf.zeroTrust.access.serviceTokens.list({
      account_id: accountId,
      per_page: 3,
      search: 'paged-',
    })) {
      names.push(token.name ?? '');
    }
    expect(names.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `paged-${i}`));
  });

  it('updates a token', async () => {
    const { id } = emulator.seedToken({ name: 'before' });
    const updated = await cf.zeroTrust.access.serviceTokens.update(id, {
      account_id: accountId,
      name: 'after',
      duration: '48h',
    });
    expect(updated).toMatchObject({ name: 'after', duration: '48h' });
  });

  it('rotates with a grace period: the old pair works until it ends, the new pair at once', async () => {
    const seeded = emulator.seedToken({ name: 'rotating' });
    expect((await access(seeded.clientId, seeded.clientSecret)).status).toBe(200);
    const graceEnds = new Date(start + 3_600_000).toISOString();
    const rotated = await cf.zeroTrust.access.serviceTokens.rotate(seeded.id, {
      account_id: accountId,
      previous_client_secret_expires_at: graceEnds,
    });
    expect(rotated.client_secret).not.toBe(seeded.clientSecret);
    expect((await access(seeded.clientId, rotated.client_secret)).status).toBe(200);
    expect((await access(seeded.clientId, seeded.clientSecret)).status).toBe(200);
    now = start + 3_600_001;
    expect((await access(seeded.clientId, seeded.clientSecret)).status).toBe(403);
    expect((await access(seeded.clientId, rotated.client_secret)).status).toBe(200);
  });

  it('rotates without a grace period: the old pair dies at once', async () => {
    const seeded = emulator.seedToken({ name: 'abrupt' });
    await cf.zeroTrust.access.serviceTokens.rotate(seeded.id, { account_id: accountId });
    expect((await access(seeded.clientId, seeded.clientSecret)).status).toBe(403);
  });

  it('refreshes: the expiry moves, the secret stays', async () => {
    const seeded = emulator.seedToken({ name: 'refreshing', duration: '24h' });
    now = start + 3_600_000;
    const refreshed = await cf.zeroTrust.access.serviceTokens.refresh(seeded.id, { account_id: accountId });
    expect(refreshed.expires_at).toBe(new Date(now + 86_400_000).toISOString());
    expect((await access(seeded.clientId, seeded.clientSecret)).status).toBe(200);
  });

  it('deletes a token, after which it is unknown and its pair refused', async () => {
    const seeded = emulator.seedToken({ name: 'doomed' });
    await cf.zeroTrust.access.serviceTokens.delete(seeded.id, { account_id: accountId });
    expect((await access(seeded.clientId, seeded.clientSecret)).status).toBe(403);
    await expect(
      cf.zeroTrust.access.serviceTokens.get(seeded.id, { account_id: accountId }),
    ).rejects.toMatchObject({
      status: 404,
      errors: [{ code: 12135, message: 'access.api.error.not_found' }],
    });
  });

  it('answers an unknown id with the 404 envelope', async () => {
    const failure = await cf.zeroTrust.access.serviceTokens
      .get('f174e90a-fafe-4643-bbbc-4a0ed4fc8415', { account_id: accountId })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Cloudflare.NotFoundError);
  });

  it('answers a body that is not JSON with 400 and error 6007 in the v4 envelope, creating nothing', async () => {
    const before = emulator.store.list({ kind: 'accounts', id: accountId }).length;
    const response = await fetch(`${emulator.client.baseUrl}/accounts/${accountId}/access/service_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.admin.apiToken}`, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      success: false,
      errors: [{ code: 6007, message: 'Malformed JSON in request body' }],
      messages: [],
      result: null,
    });
    expect(emulator.store.list({ kind: 'accounts', id: accountId })).toHaveLength(before);
  });

  it('refuses a wrong token with 401 and another account with 403', async () => {
    const wrong = new Cloudflare({
      apiToken: 'not-the-token',
      baseURL: emulator.client.baseUrl,
      maxRetries: 0,
    });
    await expect(wrong.zeroTrust.access.serviceTokens.list({ account_id: accountId })).rejects.toBeInstanceOf(
      Cloudflare.AuthenticationError,
    );
    await expect(
      cf.zeroTrust.access.serviceTokens.list({ account_id: '0'.repeat(32) }).then((page) => page.result),
    ).rejects.toBeInstanceOf(Cloudflare.PermissionDeniedError);
  });

  it('accepts the global API key', async () => {
    const keyed = new Cloudflare({
      apiEmail: emulator.admin.email,
      apiKey: emulator.admin.apiKey,
      baseURL: emulator.client.baseUrl,
      maxRetries: 0,
    });
    const created = await keyed.zeroTrust.access.serviceTokens.create({
      account_id: accountId,
      name: 'keyed',
    });
    expect(created.name).toBe('keyed');
  });

  it('sends the browser to the Access login page when no pair is given', async () => {
    const response = await access(undefined, undefined);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(
      /^https:\/\/[a-z0-9-]+\.cloudflareaccess\.com\/cdn-cgi\/access\/login\//,
    );
  });

  it('rotates a zone-level token by bumping client_secret_version', async () => {
    const zoneId = emulator.admin.zoneId;
    const created = await cf.zeroTrust.access.serviceTokens.create({ zone_id: zoneId, name: 'zoned' });
    const listed = await cf.zeroTrust.access.serviceTokens.list({ zone_id: zoneId });
    expect(listed.result.map((token) => token.id)).toContain(created.id);
    const graceEnds = new Date(start + 600_000).toISOString();
    const bumped = await cf.zeroTrust.access.serviceTokens.update(created.id ?? '', {
      zone_id: zoneId,
      client_secret_version: 2,
      previous_client_secret_expires_at: graceEnds,
    });
    const newSecret = (bumped as { client_secret?: string }).client_secret;
    expect(newSecret).toMatch(/^[0-9a-f]{64}$/);
    expect((await access(created.client_id, created.client_secret)).status).toBe(200);
    expect((await access(created.client_id, newSecret)).status).toBe(200);
    now = start + 600_001;
    expect((await access(created.client_id, created.client_secret)).status).toBe(403);
    await cf.zeroTrust.access.serviceTokens.delete(created.id ?? '', { zone_id: zoneId });
  });

  it('injects faults set over the control endpoint', async () => {
    await fetch(`${emulator.server.origin}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({
        route: 'listServiceTokens',
        fault: { kind: 'rate-limit', retryAfterSeconds: 9 },
        times: 1,
      }),
    });
    const failure = await cf.zeroTrust.access.serviceTokens.list({ account_id: accountId }).then(
      (page) => page.result,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(Cloudflare.RateLimitError);
    expect((failure as { headers: Headers }).headers.get('retry-after')).toBe('9');
  });
});
