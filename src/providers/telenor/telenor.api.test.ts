import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rotationFailure } from '../../../test/support/rotation-failure.js';
import { stepContext } from '../../../test/support/step-context.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { TelenorTokensApi } from './telenor.api.js';
import { type RunningTelenorEmulator, startTelenorEmulator } from './telenor.emulator.js';

let emulator: RunningTelenorEmulator;
beforeAll(async () => {
  emulator = await startTelenorEmulator();
});
afterAll(() => emulator.server.close());
beforeEach(() => emulator.server.faults.clear());

interface Admin {
  session?: string;
  apiToken?: string;
}

const api = (
  connection: Admin = { session: emulator.session },
  timeoutMs = 2_000,
  baseUrl = emulator.server.origin,
) =>
  new TelenorTokensApi(
    {
      baseUrl,
      ...(connection.session === undefined ? {} : { session: Secret.of(connection.session) }),
      ...(connection.apiToken === undefined ? {} : { apiToken: Secret.of(connection.apiToken) }),
    },
    stepContext(systemClock, timeoutMs),
  );

const textOf = (error: { message: string; details: object }) =>
  JSON.stringify({ message: error.message, details: error.details });

describe("rotor's Telenor client", () => {
  it('creates, reads, lists and deletes tokens; a second delete reports the token gone', async () => {
    const created = await api().create({ resource: '/', write: false, tags: { policy: 'p' } });
    expect(created).toEqual({ token: created.token, resource: '/', write: false, tags: { policy: 'p' } });
    expect((await api().get(created.token)).tags).toEqual({ policy: 'p' });
    expect((await api().list()).map((token) => token.token)).toContain(created.token);
    expect(await api().ping(created.token)).toBe('accepted');
    expect(await api().delete(created.token)).toBe(true);
    expect(await api().delete(created.token)).toBe(false);
    expect(await api().ping(created.token)).toBe('refused');
    expect((await rotationFailure(api().get(created.token))).kind).toBe('not-found');
  });

  it('pings a restricted token as accepted (GET / answers 403)', async () => {
    const restricted = await api().create({ resource: '/collections/1', write: false, tags: {} });
    expect(await api().ping(restricted.token)).toBe('accepted');
  });

  it('presents only the session when both are configured: an expired session is reported, not masked', async () => {
    const relaxed = await startTelenorEmulator({ apiTokensManageTokens: true });
    try {
      const both = { session: relaxed.session, apiToken: relaxed.apiToken };
      await expect(api(both, 2_000, relaxed.server.origin).list()).resolves.toBeInstanceOf(Array);
      relaxed.expireSession();
      // The API token alone would still be accepted here; rotor does not fall back to it.
      await expect(
        api({ apiToken: relaxed.apiToken }, 2_000, relaxed.server.origin).list(),
      ).resolves.toBeInstanceOf(Array);
      const error = await rotationFailure(api(both, 2_000, relaxed.server.origin).list());
      expect(error).toMatchObject({ kind: 'auth', details: { status: 401 } });
      expect(error.message).toMatch(/the configured session was refused/);
    } finally {
      await relaxed.server.close();
    }
  });

  it('explains the CONNECT ID session rule when /tokens refuses an API token', async () => {
    const error = await rotationFailure(api({ apiToken: emulator.apiToken }).list());
    expect(error).toMatchObject({ kind: 'auth', details: { system: 'telenor', status: 403 } });
    expect(error.message).toMatch(/^telenor list tokens failed with HTTP 403/);
    expect(error.message).toMatch(/only from a CONNECT ID login session, not with another API token/);
    expect(error.message).toMatch(/Telenor sessions expire and rotor cannot renew them/);
    expect(error.message).toMatch(/the session must be renewed/);
  });

  it('says the session must be renewed when Telenor no longer accepts it', async () => {
    const expiring = await startTelenorEmulator();
    try {
      expiring.expireSession();
      const error = await rotationFailure(
        api({ session: expiring.session }, 2_000, expiring.server.origin).create({
          resource: '/',
          write: false,
          tags: {},
        }),
      );
      expect(error).toMatchObject({ kind: 'auth', details: { status: 401 } });
      expect(error.message).toMatch(/Session expired/);
      expect(error.message).toMatch(/the configured session was refused, most likely because it has expired/);
      expect(error.message).toMatch(/rotor cannot renew them: the session must be renewed/);
      expect(error.message).not.toContain(expiring.session);
    } finally {
      await expiring.server.close();
    }
  });

  it.each([
    ['a 503', { kind: 'status', status: 503 } as const, 'transient'],
    ['a 500', { kind: 'status', status: 500 } as const, 'transient'],
    ['a 429 with Retry-After', { kind: 'rate-limit', retryAfterSeconds: 7 } as const, 'rate-limited'],
    ['a 429 without Retry-After', { kind: 'status', status: 429 } as const, 'rate-limited'],
    ['a 401', { kind: 'status', status: 401 } as const, 'auth'],
    ['a 400', { kind: 'status', status: 400 } as const, 'invalid-config'],
    ['a malformed body', { kind: 'malformed' } as const, 'protocol'],
    ['a dropped connection', { kind: 'drop' } as const, 'transient'],
  ])('classifies %s', async (_name, fault, kind) => {
    emulator.server.faults.add({ route: 'createToken', fault, times: 1 });
    const error = await rotationFailure(api().create({ resource: '/', write: false, tags: {} }));
    expect(error.kind).toBe(kind);
    expect(error.details).toMatchObject({ system: 'telenor', operation: 'create token' });
    if (fault.kind === 'rate-limit') expect(error.details.retryAfterMs).toBe(7_000);
    if (kind === 'auth') expect(error.message).toMatch(/the session must be renewed/);
  });

  it('classifies a response slower than the deadline as transient', async () => {
    emulator.server.faults.add({ route: 'listTokens', fault: { kind: 'delay', delayMs: 500 }, times: 1 });
    expect((await rotationFailure(api({ session: emulator.session }, 100).list())).kind).toBe('transient');
  });

  it('classifies GET / failures: 503 is transient, 404 means baseUrl is not the API', async () => {
    const token = (await api().create({ resource: '/', write: false, tags: {} })).token;
    emulator.server.faults.add({ route: 'ping', fault: { kind: 'status', status: 503 }, times: 1 });
    expect((await rotationFailure(api().ping(token))).kind).toBe('transient');
    emulator.server.faults.add({ route: 'ping', fault: { kind: 'status', status: 404 }, times: 1 });
    const error = await rotationFailure(api().ping(token));
    expect(error.kind).toBe('protocol');
    expect(error.message).toMatch(/does baseUrl point at the Telenor NB-IoT API/);
  });

  it('never puts a token value, the session or the API token in an error message', async () => {
    const created = await api().create({ resource: '/', write: true, tags: {} });
    const values = [created.token, emulator.session, emulator.apiToken];
    const failures = [];

    emulator.server.faults.add({ route: 'deleteToken', fault: { kind: 'status', status: 500 }, times: 1 });
    failures.push(await rotationFailure(api().delete(created.token)));
    emulator.server.faults.add({ route: 'getToken', fault: { kind: 'status', status: 403 }, times: 1 });
    failures.push(await rotationFailure(api().get(created.token)));
    emulator.server.faults.add({ route: 'getToken', fault: { kind: 'malformed' }, times: 1 });
    failures.push(await rotationFailure(api().get(created.token)));
    emulator.server.faults.add({ route: 'ping', fault: { kind: 'drop' }, times: 1 });
    failures.push(await rotationFailure(api().ping(created.token)));
    failures.push(await rotationFailure(api({ apiToken: emulator.apiToken }).get(created.token)));
    await api().delete(created.token);
    failures.push(await rotationFailure(api().get(created.token)));

    expect(failures.map((error) => error.kind)).toEqual([
      'transient',
      'auth',
      'protocol',
      'transient',
      'auth',
      'not-found',
    ]);
    expect(failures[0]?.message).toMatch(/^telenor delete token failed with HTTP 500/);
    for (const error of failures) {
      for (const value of values) expect(textOf(error)).not.toContain(value);
    }
  });

  it('redacts a token the vendor echoes in its error message', async () => {
    const token = 'ab12'.repeat(16);
    const echo = createServer((_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 400, message: `token ${token} is not valid here` }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = echo.address() as AddressInfo;
      const error = await rotationFailure(
        api({ session: 'horde_session=x' }, 2_000, `http://127.0.0.1:${port}`).delete(token),
      );
      expect(error.kind).toBe('invalid-config');
      expect(error.message).toMatch(/token \[redacted\] is not valid here/);
      expect(textOf(error)).not.toContain(token);
    } finally {
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });
});
