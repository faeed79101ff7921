import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rotationFailure } from '../../../test/support/rotation-failure.js';
import { stepContext } from '../../../test/support/step-context.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { apiBaseUrl, TagoioServiceAuthApi } from './tagoio.api.js';
import { type RunningTagoioEmulator, startTagoioEmulator } from './tagoio.emulator.js';
import { TAGOIO_REGIONS } from './tagoio.schemas.js';

let emulator: RunningTagoioEmulator;
beforeAll(async () => {
  emulator = await startTagoioEmulator();
});
afterAll(() => emulator.server.close());
beforeEach(() => {
  emulator.server.faults.clear();
  for (const entry of emulator.store.list()) emulator.store.delete(entry.token);
});

const api = (token = emulator.token, timeoutMs = 2_000, baseUrl = emulator.server.origin) =>
  new TagoioServiceAuthApi({ baseUrl, token: Secret.of(token) }, stepContext(systemClock, timeoutMs));
const create = () =>
  api().create({ name: 'svc', permission: 'full', expireTime: 'never', verificationCode: undefined });

/** A plain HTTP server answering every request with one fixed response, recording the request headers. */
async function fixedServer(status: number, body: string, contentType = 'text/html') {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("rotor's TagoIO client", () => {
  it('maps a region to the SDKs’ base URL, and uses baseUrl as given', () => {
    const token = Secret.of('p-x');
    expect(apiBaseUrl({ region: 'us-e1', token })).toBe(TAGOIO_REGIONS['us-e1']);
    expect(apiBaseUrl({ region: 'eu-w1', token })).toBe('https://api.eu-w1.tago.io');
    expect(apiBaseUrl({ baseUrl: 'https://api.x.tagoio.net', token })).toBe('https://api.x.tagoio.net');
    expect(() => apiBaseUrl({ token })).toThrow(/neither region nor baseUrl/);
  });

  it('creates, lists by name across pages, and deletes; a second delete reports the token gone', async () => {
    const created = await create();
    for (let i = 0; i < 120; i++)
      emulator.store.create({ name: 'bulk', permission: 'read', expireTime: 'never' });

    expect(await api().list('svc')).toEqual([
      { token: created.token, name: 'svc', permission: 'full', expire_time: 'never' },
    ]);
    const bulk = await api().list('bulk');
    expect(bulk).toHaveLength(120);
    expect(new Set(bulk.map((token) => token.token)).size).toBe(120);
    expect(await api().list()).toHaveLength(121);
    expect(await api().delete(created.token)).toBe(true);
    expect(emulator.store.exists(created.token)).toBe(false);
    expect(await api().delete(created.token)).toBe(false);
  });

  it('sends the profile token in the `token` header and the documented list query', async () => {
    const server = await fixedServer(200, '{"status":true,"result":[]}', 'application/json');
    try {
      await api('p-profile', 2_000, server.origin).list('gw');
      const [request] = server.seen;
      expect(request?.headers.token).toBe('p-profile');
      const query = new URL(request?.url ?? '', server.origin).searchParams;
      expect(Object.fromEntries(query)).toEqual({
        page: '1',
        amount: '100',
        'fields[0]': 'name',
        'fields[1]': 'token',
        'fields[2]': 'permission',
        'fields[3]': 'expire_time',
        orderBy: 'created_at,desc',
        'filter[name]': 'gw',
      });
    } finally {
      await server.close();
    }
  });

  it('classifies a wrong profile token as auth, with TagoIO’s message', async () => {
    const error = await rotationFailure(api('p-wrong').list());
    expect(error).toMatchObject({ kind: 'auth', details: { status: 401, system: 'tagoio' } });
    expect(error.message).toMatch(/Invalid authorization token/);
  });

  it.each([
    ['a 503', { kind: 'status', status: 503 } as const, 'transient'],
    ['a 500', { kind: 'status', status: 500 } as const, 'transient'],
    ['a 429 with Retry-After', { kind: 'rate-limit', retryAfterSeconds: 60 } as const, 'rate-limited'],
    ['a 401', { kind: 'status', status: 401 } as const, 'auth'],
    ['a 403', { kind: 'status', status: 403 } as const, 'auth'],
    ['a 400', { kind: 'status', status: 400 } as const, 'invalid-config'],
    ['a 404 on a fixed path', { kind: 'status', status: 404 } as const, 'invalid-config'],
    ['a malformed body', { kind: 'malformed' } as const, 'protocol'],
    ['a dropped connection', { kind: 'drop' } as const, 'transient'],
  ])('classifies %s', async (_name, fault, kind) => {
    emulator.server.faults.add({ route: 'createServiceAuth', fault, times: 1 });
    const error = await rotationFailure(create());
    expect(error.kind).toBe(kind);
    expect(error.details).toMatchObject({ system: 'tagoio', operation: 'create service authorization' });
    if (kind === 'rate-limited') expect(error.details.retryAfterMs).toBe(60_000);
    expect(emulator.store.list()).toEqual([]);
  });

  it('classifies a response slower than the deadline as transient', async () => {
    emulator.server.faults.add({
      route: 'listServiceAuth',
      fault: { kind: 'delay', delayMs: 500 },
      times: 1,
    });
    expect((await rotationFailure(api(emulator.token, 100).list())).kind).toBe('transient');
  });

  it('reads a delete’s 404 as "gone" only in TagoIO’s envelope; any other 404 is a configuration error', async () => {
    const created = await create();
    emulator.server.faults.add({ route: 'deleteServiceAuth', fault: { kind: 'status', status: 404 } });
    expect(await api().delete(created.token)).toBe(false);
    emulator.server.faults.clear();

    const elsewhere = await fixedServer(404, '<html>Not Found</html>');
    try {
      const error = await rotationFailure(api(emulator.token, 2_000, elsewhere.origin).delete(created.token));
      expect(error).toMatchObject({ kind: 'invalid-config', details: { status: 404 } });
      expect(error.message).toMatch(/region or baseUrl/);
    } finally {
      await elsewhere.close();
    }
    expect(emulator.store.exists(created.token)).toBe(true);
  });

  it('never puts a token value in an error message', async () => {
    const created = await create();
    for (const fault of [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 401 },
      { kind: 'malformed' },
      { kind: 'drop' },
    ] as const) {
      emulator.server.faults.add({ route: 'deleteServiceAuth', fault, times: 1 });
      const error = await rotationFailure(api().delete(created.token));
      const text = JSON.stringify({ message: error.message, details: error.details, stack: error.stack });
      expect(text).not.toContain(created.token);
      expect(text).not.toContain(emulator.token);
    }
  });
});
