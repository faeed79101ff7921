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
      // A browser sends other cookies beside the session's.
      ...(options.session === false ? {} : { cookie: `lang=en; ${target.session}` }),
      ...(options.apiToken === undefined ? {} : { 'x-api-token': options.apiToken }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

const create = async (target: RunningTelenorEmulator, body: unknown) =>
  String((await call(target, 'POST', '/tokens', { body })).body?.token);

/** A create sent with a session as these bytes, which a JSON client would not send. */
const rawCreate = (contentType: string, body: string) =>
  fetch(`${emulator.server.origin}/tokens`, {
    method: 'POST',
    headers: { cookie: emulator.session, 'content-type': contentType },
    body,
  });

describe('the Telenor NB-IoT emulator speaks the documented token API', () => {
  it('creates (201), gets, lists, patches and deletes (204) tokens with a CONNECT ID session', async () => {
    const created = await call(emulator, 'POST', '/tokens', {
      body: { resource: '/collections/17', write: true, tags: { Team: 'ops', empty: '' } },
    });
    expect(created.status).toBe(201);
    const token = String(created.body?.token);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    // Tag names are lower-cased and empty values dropped.
    expect(created.body).toEqual({ token, resource: '/collections/17', write: true, tags: { team: 'ops' } });

    expect(await call(emulator, 'GET', `/tokens/${token}`)).toMatchObject({
      status: 200,
      body: { token, resource: '/collections/17', write: true, tags: { team: 'ops' } },
    });
    const listed = await call(emulator, 'GET', '/tokens');
    expect(listed.status).toBe(200);
    expect(Object.keys(listed.body ?? {})).toEqual(['tokens']);
    expect((listed.body as { tokens: { token: string }[] }).tokens.map((entry) => entry.token)).toContain(
      token,
    );
    expect(await call(emulator, 'PATCH', `/tokens/${token}`, { body: { write: false } })).toMatchObject({
      status: 200,
      body: { token, write: false, resource: '/collections/17' },
    });
    expect(await call(emulator, 'DELETE', `/tokens/${token}`)).toMatchObject({
      status: 204,
      body: undefined,
    });
    expect(await call(emulator, 'GET', `/tokens/${token}`)).toMatchObject({
      status: 404,
      body: { status: 404, message: 'Token not found' },
    });
    expect((await call(emulator, 'DELETE', `/tokens/${token}`)).status).toBe(404);
  });

  it('omits tags from a token that has none', async () => {
    const token = await create(emulator, { resource: '/', write: false });
    expect((await call(emulator, 'GET', `/tokens/${token}`)).body).toEqual({
      token,
      resource: '/',
      write: false,
    });
  });

  it('reads and patches /tokens/{token}/tags; an empty value removes a tag', async () => {
    const token = await create(emulator, { resource: '/teams/3', write: false, tags: { team: 'ops' } });

    expect(
      await call(emulator, 'PATCH', `/tokens/${token}/tags`, { body: { team: '', Env: 'prod' } }),
    ).toMatchObject({ status: 200, body: { env: 'prod' } });
    expect((await call(emulator, 'GET', `/tokens/${token}/tags`)).body).toEqual({ env: 'prod' });
    expect((await call(emulator, 'GET', `/tokens/${token}/tags/env`)).body).toEqual({ value: 'prod' });
    expect((await call(emulator, 'GET', `/tokens/${token}/tags/team`)).status).toBe(404);
  });

  it('answers GET / per token: 200 for full access, 403 for a restricted token, 401 for an unknown one', async () => {
    const restricted = await create(emulator, { resource: '/teams/1', write: false });
    expect((await call(emulator, 'GET', '/', { session: false, apiToken: emulator.apiToken })).status).toBe(
      200,
    );
    expect(await call(emulator, 'GET', '/', { session: false, apiToken: restricted })).toMatchObject({
      status: 403,
      body: { status: 403, message: 'Forbidden' },
    });
    expect(await call(emulator, 'GET', '/', { session: false, apiToken: 'f'.repeat(64) })).toMatchObject({
      status: 401,
      body: { status: 401 },
    });
    expect((await call(emulator, 'GET', '/', { session: false })).status).toBe(401);
  });

  it('refuses /tokens to an API token, as documented, unless configured to allow it', async () => {
    expect(await call(emulator, 'GET', '/tokens', { session: false, apiToken: emulator.apiToken })).toEqual({
      status: 403,
      retryAfter: null,
      body: {
        status: 403,
        message: 'The token resource is only available when logged in through CONNECT ID',
      },
    });
    expect(
      (
        await call(emulator, 'POST', '/tokens', {
          session: false,
          apiToken: emulator.apiToken,
          body: { resource: '/', write: false },
        })
      ).status,
    ).toBe(403);
    expect((await call(emulator, 'GET', '/tokens', { session: false })).status).toBe(401);

    expect(
      (await call(relaxed, 'GET', '/tokens', { session: false, apiToken: relaxed.apiToken })).status,
    ).toBe(200);
    // Where API tokens may manage tokens, only a full-access write token may.
    const readOnly = await create(relaxed, { resource: '/', write: false });
    expect(
      (await call(relaxed, 'GET', '/tokens', { session: false, apiToken: readOnly })).body?.message,
    ).toBe('You do not have write access');
  });

  it('rejects a create without resource and write, or not as JSON, with the {status, message} body', async () => {
    expect(await call(emulator, 'POST', '/tokens', { body: { tags: {} } })).toMatchObject({
      status: 400,
      body: { status: 400, message: 'Missing or invalid resource/write' },
    });
    const form = await rawCreate('application/x-www-form-urlencoded', 'resource=/&write=true');
    expect(form.status).toBe(400);
    expect(await form.json()).toEqual({ status: 400, message: 'Missing or invalid resource/write' });
  });

  it('rejects a create whose JSON body does not parse with the {status, message} body', async () => {
    const before = emulator.store.list().length;
    const response = await rawCreate('application/json', '{"resource":');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ status: 400, message: 'Missing or invalid resource/write' });
    expect(emulator.store.list()).toHaveLength(before);
  });

  it('answers an unknown path with the error body', async () => {
    expect(await call(emulator, 'GET', '/no/such/thing')).toMatchObject({
      status: 404,
      body: { status: 404, message: 'Not found' },
    });
  });
});

describe('the Telenor emulator’s controls', () => {
  it('seeds and lists tokens over /__emulator/tokens', async () => {
    const seeded = await fetch(`${emulator.server.origin}/__emulator/tokens`, {
      method: 'POST',
      body: JSON.stringify({ resource: '/collections/5', write: false, tags: { seeded: 'yes' } }),
    });
    expect(seeded.status).toBe(201);
    const { token } = (await seeded.json()) as { token: string };
    expect(emulator.store.exists(token)).toBe(true);
    expect(emulator.store.mintedSecrets()).toContain(token);

    const listed = (await (await fetch(`${emulator.server.origin}/__emulator/tokens`)).json()) as {
      tokens: { token: string }[];
    };
    expect(listed.tokens.map((entry) => entry.token)).toEqual(
      expect.arrayContaining([token, emulator.apiToken]),
    );
  });

  it('injects faults set over the control endpoint, with Telenor’s error body', async () => {
    await fetch(`${emulator.server.origin}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({
        route: 'listTokens',
        fault: { kind: 'rate-limit', retryAfterSeconds: 9 },
        times: 1,
      }),
    });
    expect(await call(emulator, 'GET', '/tokens')).toEqual({
      status: 429,
      retryAfter: '9',
      body: { status: 429, message: 'Too many requests' },
    });
    expect((await call(emulator, 'GET', '/tokens')).status).toBe(200);
  });

  it('ends the CONNECT ID session: /tokens then answers 401, GET / with a token still works', async () => {
    const expiring = await startTelenorEmulator({ session: 'horde_session=s1; csrf=c1' });
    try {
      expect((await call(expiring, 'GET', '/tokens')).status).toBe(200);
      // A cookie header missing one of the session's cookies is no session.
      const partial = await fetch(`${expiring.server.origin}/tokens`, { headers: { cookie: 'csrf=c1' } });
      expect(partial.status).toBe(401);
      await partial.arrayBuffer();

      const ended = await fetch(`${expiring.server.origin}/__emulator/session`, { method: 'DELETE' });
      expect(ended.status).toBe(204);
      expect(await call(expiring, 'GET', '/tokens')).toMatchObject({
        status: 401,
        body: { status: 401, message: 'Session expired: log in through CONNECT ID again' },
      });
      expect((await call(expiring, 'GET', '/', { session: false, apiToken: expiring.apiToken })).status).toBe(
        200,
      );
    } finally {
      await expiring.server.close();
    }
  });
});
