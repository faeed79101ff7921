import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rotationFailure } from '../../../test/support/rotation-failure.js';
import { stepContext } from '../../../test/support/step-context.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import type { HttpResponse } from '../../lib/http-client.js';
import { MoovAuthApi } from './moov.api.js';
import { type RunningMoovEmulator, startMoovEmulator } from './moov.emulator.js';
import { expiryOf, moovWire, readToken } from './moov.wire.js';

let emulator: RunningMoovEmulator;
let restricted: RunningMoovEmulator;
beforeAll(async () => {
  emulator = await startMoovEmulator();
  restricted = await startMoovEmulator({ domains: ['app.example.com'] });
});
afterAll(async () => {
  await emulator.server.close();
  await restricted.server.close();
});
beforeEach(() => emulator.server.faults.clear());

const api = (
  target: RunningMoovEmulator = emulator,
  extra: { origin?: string; secretKey?: string } = {},
  timeoutMs = 2_000,
) =>
  new MoovAuthApi(
    {
      baseUrl: target.server.origin,
      publicKey: Secret.of(target.publicKey),
      secretKey: Secret.of(extra.secretKey ?? target.secretKey),
      moovVersion: 'v2026.07.00',
      ...(extra.origin === undefined ? {} : { origin: extra.origin }),
    },
    stepContext(systemClock, timeoutMs),
  );

/** A synchronous parse as a promise, for `rotationFailure`. */
const parsing = (run: () => unknown) => Promise.resolve().then(run);

const response = (status: number, text: string, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers,
  text,
});

describe("rotor's Moov client against the emulator", () => {
  it('mints, refreshes, pings and revokes', async () => {
    const pair = await api().clientCredentials('/ping.read');
    await api().ping(pair.access_token);
    const next = await api().refresh(pair.refresh_token);
    expect(next.scope).toBe('/ping.read');
    await api().revoke(next.access_token, 'access_token');
    const refused = await rotationFailure(api().ping(next.access_token));
    expect(refused).toMatchObject({ kind: 'auth', details: { status: 401 } });
  });

  it('sends Origin on token calls and on calls with the token, for keys with a domain list', async () => {
    const missing = await rotationFailure(api(restricted).clientCredentials('/ping.read'));
    expect(missing).toMatchObject({ kind: 'auth', details: { status: 403 } });
    expect(missing.message).toMatch(/set the connection origin/);

    const withOrigin = api(restricted, { origin: 'https://app.example.com' });
    const pair = await withOrigin.clientCredentials('/ping.read');
    await expect(withOrigin.ping(pair.access_token)).resolves.toBeUndefined();
  });

  it('keeps Moov’s error text: a refused refresh token is a 400 invalid_grant, a scope a 422 message', async () => {
    const refused = await rotationFailure(api().refresh('moov_rt_unknown'));
    expect(refused).toMatchObject({ kind: 'invalid-config', details: { status: 400 } });
    expect(refused.message).toMatch(/invalid_grant/);
    const scope = await rotationFailure(api().clientCredentials('/wallets.admin'));
    expect(scope).toMatchObject({ kind: 'invalid-config', details: { status: 422 } });
    expect(scope.message).toMatch(/scope: scope \/wallets\.admin is not allowed/);
  });

  it('classifies a wrong secret key as auth', async () => {
    const error = await rotationFailure(
      api(emulator, { secretKey: 'sk_wrong' }).clientCredentials('/ping.read'),
    );
    expect(error).toMatchObject({ kind: 'auth', details: { system: 'moov', status: 401 } });
  });

  it.each([
    ['a 503', { kind: 'status', status: 503 } as const, 'transient'],
    ['a 500', { kind: 'status', status: 500 } as const, 'transient'],
    ['a 504', { kind: 'status', status: 504 } as const, 'transient'],
    ['an injected 401', { kind: 'status', status: 401 } as const, 'auth'],
    [
      'a 429 with Retry-After and X-Retry-In',
      { kind: 'rate-limit', retryAfterSeconds: 3 } as const,
      'rate-limited',
    ],
    ['a malformed 200', { kind: 'malformed' } as const, 'protocol'],
    ['a dropped connection', { kind: 'drop' } as const, 'transient'],
  ])('classifies %s on the token call', async (_name, fault, kind) => {
    emulator.server.faults.add({ route: 'createAccessToken', fault, times: 1 });
    const error = await rotationFailure(api().clientCredentials('/ping.read'));
    expect(error.kind).toBe(kind);
    expect(error.details.retryAfterMs).toBe(kind === 'rate-limited' ? 3_000 : undefined);
  });

  it('classifies a response slower than the deadline as transient', async () => {
    emulator.server.calls.clear();
    emulator.server.faults.add({
      route: 'createAccessToken',
      fault: { kind: 'delay', delayMs: 500 },
      times: 1,
    });
    const error = await rotationFailure(api(emulator, {}, 100).clientCredentials('/ping.read'));
    expect(error.kind).toBe('transient');
    expect(emulator.server.calls.handled('createAccessToken')).toHaveLength(0);
  });

  it('treats a 404 as a configuration problem, never as "already gone"', async () => {
    emulator.server.faults.add({
      route: 'revokeAccessToken',
      fault: { kind: 'status', status: 404 },
      times: 1,
    });
    const error = await rotationFailure(api().revoke('moov_at_whatever', 'access_token'));
    expect(error).toMatchObject({ kind: 'invalid-config', details: { status: 404 } });
    expect(error.message).toMatch(/baseUrl and moovVersion/);
  });

  it('classifies failures of revoke and ping like those of the token call', async () => {
    emulator.server.faults.add({
      route: 'revokeAccessToken',
      fault: { kind: 'status', status: 503 },
      times: 1,
    });
    expect((await rotationFailure(api().revoke('moov_at_x', 'access_token'))).kind).toBe('transient');
    emulator.server.faults.add({
      route: 'ping',
      fault: { kind: 'rate-limit', retryAfterSeconds: 7 },
      times: 1,
    });
    expect((await rotationFailure(api().ping())).details.retryAfterMs).toBe(7_000);
  });

  it('never puts a token or key in an error message', async () => {
    const pair = await api().clientCredentials('/ping.read');
    emulator.server.faults.add({
      route: 'revokeAccessToken',
      fault: { kind: 'status', status: 500 },
      times: 1,
    });
    const revoke = await rotationFailure(api().revoke(pair.access_token, 'access_token'));
    const wrongKey = await rotationFailure(
      api(emulator, { secretKey: 'sk_wrong' }).refresh(pair.refresh_token),
    );
    const text = JSON.stringify([revoke, wrongKey].map((e) => ({ message: e.message, details: e.details })));
    for (const value of [pair.access_token, pair.refresh_token, emulator.secretKey, emulator.publicKey])
      expect(text).not.toContain(value);
  });
});

describe('Moov wire facts', () => {
  it('reads expires_in as a Unix timestamp or as seconds', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(expiryOf(900, now).toISOString()).toBe('2026-11-24T12:15:00.000Z');
    expect(expiryOf(1_795_608_000, now).toISOString()).toBe('2026-11-25T12:00:00.000Z');
  });

  it('prefers X-Retry-In (ms), else Retry-After (seconds or a date); without either a 429 is still throttling', async () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(
      moovWire.retryAfterMs?.(response(429, '', { 'x-retry-in': '1500', 'retry-after': '9' }), now),
    ).toBe(1_500);
    expect(moovWire.retryAfterMs?.(response(429, '', { 'retry-after': '4' }), now)).toBe(4_000);
    expect(
      moovWire.retryAfterMs?.(response(429, '', { 'retry-after': 'Tue, 24 Nov 2026 12:00:30 GMT' }), now),
    ).toBe(30_000);
    expect(moovWire.retryAfterMs?.(response(429, ''), now)).toBeUndefined();
    const bare = await rotationFailure(
      parsing(() => readToken('create access token', response(429, ''), now)),
    );
    expect(bare.kind).toBe('rate-limited');
    expect(bare.details.retryAfterMs).toBeUndefined();
  });

  it('answers a 200 of another shape with a protocol error naming fields, not values', async () => {
    const body = JSON.stringify({
      token_type: 'Bearer',
      access_token: 'moov_at_SECRETVALUE123456789012345',
      expires_in: 900,
    });
    const error = await rotationFailure(
      parsing(() => readToken('create access token', response(200, body), 0)),
    );
    expect(error.kind).toBe('protocol');
    expect(error.message).toMatch(/refresh_token, scope/);
    expect(error.message).not.toContain('SECRETVALUE');
  });

  it('sanitises vendor text that echoes a token, and reads 422 field messages', async () => {
    const failureFor = (status: number, body: string) =>
      rotationFailure(parsing(() => readToken('refresh access token', response(status, body), 0)));
    const echoed = JSON.stringify({ error: 'refresh token moov_rt_Ab12Cd34Ef56Gh78Ij90Kl12Mn34 is invalid' });
    expect((await failureFor(400, echoed)).message).toContain('(refresh token [redacted] is invalid)');
    expect(
      (await failureFor(422, JSON.stringify({ refresh_token: 'expired', scope: 'too wide' }))).message,
    ).toContain('(refresh_token: expired; scope: too wide)');
    expect((await failureFor(502, '<html>bad gateway</html>')).message).toBe(
      'moov refresh access token failed with HTTP 502',
    );
  });
});
