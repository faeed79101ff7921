import { Resources } from '@tago-io/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningTagoioEmulator, startTagoioEmulator } from './tagoio.emulator.js';

let emulator: RunningTagoioEmulator;
let resources: Resources;

beforeAll(async () => {
  emulator = await startTagoioEmulator();
  resources = new Resources({
    token: emulator.token,
    region: { api: emulator.server.origin, sse: emulator.server.origin },
  });
});
afterAll(() => emulator.server.close());

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
  });

  it('edits the verification code and deletes a token; an unknown token is refused', async () => {
    const { token } = await resources.serviceAuthorization.tokenCreate({
      name: 'edited',
      permission: 'full',
    });

    expect(await resources.serviceAuthorization.tokenEdit(token, 'new-code')).toBe(
      'Authorization Code Successfully Updated',
    );
    expect(emulator.store.find(token)?.verificationCode).toBe('new-code');
    expect(await resources.serviceAuthorization.tokenDelete(token)).toBe('Token Successfully Removed');
    await expect(resources.serviceAuthorization.tokenDelete(token)).rejects.toBe(
      'Authorization token not found',
    );
  });

  it('refuses a wrong profile token with 401 and the {status:false, message} body', async () => {
    const stranger = new Resources({
      token: 'p-wrong',
      region: { api: emulator.server.origin, sse: emulator.server.origin },
    });
    await expect(stranger.serviceAuthorization.tokenList()).rejects.toBe('Invalid authorization token');
    const response = await fetch(`${emulator.server.origin}/serviceauth`, { headers: { token: 'p-wrong' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      status: false,
      message: 'Invalid authorization token',
      result: { message: 'Invalid authorization token' },
    });
  });

  it('parses the Python SDK’s encoding: repeated fields= and filter[name]=, Authorization header', async () => {
    await resources.serviceAuthorization.tokenCreate({ name: 'python-style', permission: 'read' });
    const response = await fetch(
      `${emulator.server.origin}/serviceauth?page=1&fields=name&fields=permission&amount=20&orderBy=created_at%2Cdesc&filter%5Bname%5D=python-style`,
      { headers: { authorization: emulator.token } },
    );
    expect(await response.json()).toEqual({
      status: true,
      result: [{ name: 'python-style', permission: 'read' }],
    });
  });
});
