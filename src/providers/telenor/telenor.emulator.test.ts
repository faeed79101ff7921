import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningTelenorEmulator, startTelenorEmulator } from './telenor.emulator.js';

let emulator: RunningTelenorEmulator;
let relaxed: RunningTelenorEmulator;

beforeAll(async () => {
  emulator = await startTelenorEmulator();
  relaxed = await startTelenorEmulator({ apiTokensManageTokens: true });
});
afterAll(async () => {
  await emulator.server.close();
  await relaxed.server.close();
});

async function call(
  target: RunningTelenorEmulator,
  method: string,
  path: string,
  options: { session?: boolean; apiToken?: string; body?: unknown } = {},
) {
  const response = await fetch(`${target.server.origin}${path}`, {
    method,
    headers: {
      ...(options.session === false ? {} : { cookie: `lang=en; ${target.session}` }),
      ...(options.apiToken === undefined ? {} : { 'x-api-token': options.apiToken }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('the Telenor NB-IoT emulator speaks the documented token API', () => {
  it('creates (201), gets, lists, patches and deletes (204) tokens with a CONNECT ID session', async () => {
    const created = await call(emulator, 'POST', '/tokens', {
      body: { resource: '/collections/17', write: true, tags: { Team: 'ops', empty: '' } },
    });
    expect(created.status).toBe(201);
    const token = String(created.body?.token);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(created.body).toEqual({ token, resource: '/collections/17', write: true, tags: { team: 'ops' } });

    expect((await call(emulator, 'GET', `/tokens/${token}`)).body).toMatchObject({
      resource: '/collections/17',
    });
    const listed = (await call(emulator, 'GET', '/tokens')).body as { tokens: { token: string }[] };
    expect(listed.tokens.map((entry) => entry.token)).toContain(token);
    expect(
      (await call(emulator, 'PATCH', `/tokens/${token}`, { body: { write: false } })).body,
    ).toMatchObject({ write: false });
    expect(
      (await call(emulator, 'PATCH', `/tokens/${token}/tags`, { body: { team: '', env: 'prod' } })).body,
    ).toEqual({ env: 'prod' });
    expect((await call(emulator, 'GET', `/tokens/${token}/tags`)).body).toEqual({ env: 'prod' });
    expect((await call(emulator, 'DELETE', `/tokens/${token}`)).status).toBe(204);
    expect(await call(emulator, 'GET', `/tokens/${token}`)).toEqual({
      status: 404,
      body: { status: 404, message: 'Token not found' },
    });
  });

  it('answers GET / per token: 200 for full access, 403 for a restricted token, 401 for an unknown one', async () => {
    const restricted = String(
      (await call(emulator, 'POST', '/tokens', { body: { resource: '/teams/1', write: false } })).body?.token,
    );
    expect((await call(emulator, 'GET', '/', { session: false, apiToken: emulator.apiToken })).status).toBe(
      200,
    );
    expect((await call(emulator, 'GET', '/', { session: false, apiToken: restricted })).status).toBe(403);
    expect((await call(emulator, 'GET', '/', { session: false, apiToken: 'f'.repeat(64) })).status).toBe(401);
  });

  it('refuses /tokens to an API token, as documented, unless configured to allow it', async () => {
    expect(await call(emulator, 'GET', '/tokens', { session: false, apiToken: emulator.apiToken })).toEqual({
      status: 403,
      body: {
        status: 403,
        message: 'The token resource is only available when logged in through CONNECT ID',
      },
    });
    expect((await call(emulator, 'GET', '/tokens', { session: false })).status).toBe(401);
    expect(
      (await call(relaxed, 'GET', '/tokens', { session: false, apiToken: relaxed.apiToken })).status,
    ).toBe(200);
  });

  it('rejects a create without resource and write with the {status, message} body', async () => {
    expect(await call(emulator, 'POST', '/tokens', { body: { tags: {} } })).toEqual({
      status: 400,
      body: { status: 400, message: 'Missing or invalid resource/write' },
    });
  });
});
