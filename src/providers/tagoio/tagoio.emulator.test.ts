import { Resources } from '@tago-io/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningTagoioEmulator, startTagoioEmulator } from './tagoio.emulator.js';

let emulator: RunningTagoioEmulator;
let resources: Resources;

const sdk = (token: string) =>
  new Resources({ token, region: { api: emulator.server.origin, sse: emulator.server.origin } });
const get = async (pathAndQuery: string, headers: Record<string, string> = { token: emulator.token }) => {
  const response = await fetch(`${emulator.server.origin}${pathAndQuery}`, { headers });
  return { status: response.status, body: (await response.json()) as unknown };
};

beforeAll(async () => {
  emulator = await startTagoioEmulator();
  resources = sdk(emulator.token);
});
afterAll(() => emulator.server.close());
beforeEach(() => {
  emulator.server.faults.clear();
  for (const entry of emulator.store.list()) emulator.store.delete(entry.token);
});

describe('the official @tago-io/sdk against the TagoIO emulator', () => {
  it('creates a token and lists it with the fields, filter and order it asks for', async () => {
    const created = await resources.serviceAuthorization.tokenCreate({
      name: 'gateway-a',
      permission: 'write',
      verification_code: 'mw-123',
    });
    expect(created).toMatchObject({
      name: 'gateway-a',
      profile: emulator.store.profileId,
      additional_parameters: 'mw-123',
    });
    expect(created.token).toMatch(/^at[0-9a-f]{32}$/);
    await resources.serviceAuthorization.tokenCreate({ name: 'gateway-b', permission: 'read' });

    const listed = await resources.serviceAuthorization.tokenList({
      fields: ['name', 'token', 'permission'],
      filter: { name: 'gateway-a' },
    });
    expect(listed).toEqual([{ name: 'gateway-a', token: created.token, permission: 'write' }]);

    const newestFirst = await resources.serviceAuthorization.tokenList({ fields: ['name'], amount: 1 });
    expect(newestFirst).toEqual([{ name: 'gateway-b' }]);
    const secondPage = await resources.serviceAuthorization.tokenList({
      fields: ['name'],
      amount: 1,
      page: 2,
    });
    expect(secondPage).toEqual([{ name: 'gateway-a' }]);
    expect(await resources.serviceAuthorization.tokenList({ fields: ['name'], amount: 1, page: 3 })).toEqual(
      [],
    );
  });

  it('lists with the SDK’s defaults, orderBy on another field, and filters on any listed field', async () => {
    const b = await resources.serviceAuthorization.tokenCreate({ name: 'b-meter', permission: 'read' });
    const a = await resources.serviceAuthorization.tokenCreate({ name: 'a-meter', permission: 'full' });
    await resources.serviceAuthorization.tokenCreate({ name: 'c-other', permission: 'read' });

    // Defaults: fields name, token, permission; newest first.
    expect(await resources.serviceAuthorization.tokenList()).toEqual([
      { name: 'c-other', token: expect.any(String), permission: 'read' },
      { name: 'a-meter', token: a.token, permission: 'full' },
      { name: 'b-meter', token: b.token, permission: 'read' },
    ]);
    expect(
      await resources.serviceAuthorization.tokenList({ fields: ['name'], orderBy: ['name', 'asc'] }),
    ).toEqual([{ name: 'a-meter' }, { name: 'b-meter' }, { name: 'c-other' }]);
    expect(
      await resources.serviceAuthorization.tokenList({ fields: ['name'], filter: { permission: 'read' } }),
    ).toEqual([{ name: 'c-other' }, { name: 'b-meter' }]);

    // Every documented list field, dates turned into Date objects by the SDK ("never" left as it is).
    const [full] = await resources.serviceAuthorization.tokenList({
      fields: ['token', 'name', 'permission', 'expire_time', 'created_at', 'verification_code'],
      filter: { name: 'a-meter' },
    });
    expect(full).toMatchObject({ token: a.token, expire_time: 'never', verification_code: null });
    expect(full?.created_at).toBeInstanceOf(Date);
  });

  it('edits the verification code and deletes a token; an unknown token is refused with 404', async () => {
    const { token } = await resources.serviceAuthorization.tokenCreate({
      name: 'edited',
      permission: 'full',
    });

    expect(await resources.serviceAuthorization.tokenEdit(token, 'new-code')).toBe(
      'Authorization Code Successfully Updated',
    );
    expect(emulator.store.find(token)?.verificationCode).toBe('new-code');
    // Without a code the SDK sends `{}`: the code is cleared.
    expect(await resources.serviceAuthorization.tokenEdit(token)).toBe(
      'Authorization Code Successfully Updated',
    );
    expect(emulator.store.find(token)?.verificationCode).toBeNull();
    expect(await resources.serviceAuthorization.tokenDelete(token)).toBe('Token Successfully Removed');
    expect(emulator.store.exists(token)).toBe(false);
    await expect(resources.serviceAuthorization.tokenDelete(token)).rejects.toBe(
      'Authorization token not found',
    );
    await expect(resources.serviceAuthorization.tokenEdit(token, 'x')).rejects.toBe(
      'Authorization token not found',
    );
    expect(emulator.store.mintedSecrets()).toContain(token);
  });

  it('refuses a create without a name or with an unknown permission (400, Invalid request data)', async () => {
    await expect(resources.serviceAuthorization.tokenCreate({ name: '', permission: 'write' })).rejects.toBe(
      'Invalid request data',
    );
    await expect(
      resources.serviceAuthorization.tokenCreate({
        name: 'x',
        permission: 'admin' as unknown as 'write',
      }),
    ).rejects.toBe('Invalid request data');
    expect(emulator.store.list()).toEqual([]);
  });

  it('refuses a body that is not JSON as invalid data (400) in the {status:false, message} body', async () => {
    const response = await fetch(`${emulator.server.origin}/serviceauth`, {
      method: 'POST',
      headers: { token: emulator.token, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      status: false,
      message: 'Invalid request data',
      result: { message: 'Invalid request data' },
    });
    expect(emulator.store.list()).toEqual([]);
  });

  it('refuses a wrong or missing profile token with 401 and the {status:false, message} body', async () => {
    const stranger = sdk('p-wrong');
    await expect(stranger.serviceAuthorization.tokenList()).rejects.toBe('Invalid authorization token');
    await expect(stranger.serviceAuthorization.tokenCreate({ name: 'x', permission: 'read' })).rejects.toBe(
      'Invalid authorization token',
    );
    expect(emulator.store.list()).toEqual([]);

    expect(await get('/serviceauth', { token: 'p-wrong' })).toEqual({
      status: 401,
      body: {
        status: false,
        message: 'Invalid authorization token',
        result: { message: 'Invalid authorization token' },
      },
    });
    expect(await get('/serviceauth', {})).toMatchObject({
      status: 401,
      body: { status: false, message: 'Authorization token not found' },
    });
  });

  it('answers an injected fault with TagoIO’s error body, which the SDK throws as its message', async () => {
    emulator.server.faults.add({
      route: 'createServiceAuth',
      fault: { kind: 'rate-limit', retryAfterSeconds: 30 },
      times: 1,
    });
    await expect(
      resources.serviceAuthorization.tokenCreate({ name: 'throttled', permission: 'read' }),
    ).rejects.toBe('Too Many Requests');
    expect(emulator.store.list()).toEqual([]);
  });

  it('parses the Python SDK’s repeated fields=, qs’s fields[]=, and the Authorization header', async () => {
    await resources.serviceAuthorization.tokenCreate({ name: 'python-style', permission: 'read' });
    const python = await get(
      '/serviceauth?page=1&fields=name&fields=permission&amount=20&orderBy=created_at%2Cdesc&filter%5Bname%5D=python-style',
      { authorization: emulator.token },
    );
    expect(python).toEqual({
      status: 200,
      body: { status: true, result: [{ name: 'python-style', permission: 'read' }] },
    });
    const brackets = await get('/serviceauth?fields%5B%5D=name&fields%5B%5D=expire_time');
    expect(brackets.body).toEqual({ status: true, result: [{ name: 'python-style', expire_time: 'never' }] });
    expect((await get('/serviceauth?orderBy=token,sideways')).status).toBe(400);
  });

  it('seeds and lists tokens over its control routes', async () => {
    const seeded = await fetch(`${emulator.server.origin}/__emulator/serviceauth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'seeded', permission: 'read', expire_time: '2030-01-01T00:00:00.000Z' }),
    });
    expect(seeded.status).toBe(201);
    const { token } = (await seeded.json()) as { token: string };
    expect(emulator.store.find(token)).toMatchObject({ name: 'seeded', permission: 'read' });

    const listed = await fetch(`${emulator.server.origin}/__emulator/serviceauth`);
    expect(await listed.json()).toMatchObject({
      serviceAuthorizations: [{ token, name: 'seeded', expire_time: '2030-01-01T00:00:00.000Z' }],
    });
    const refused = await fetch(`${emulator.server.origin}/__emulator/serviceauth`, {
      method: 'POST',
      body: '{}',
    });
    expect(refused.status).toBe(400);
  });
});
