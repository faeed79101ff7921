import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rotationFailure } from '../../../test/support/rotation-failure.js';
import { stepContext } from '../../../test/support/step-context.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { MoovAuthApi } from './moov.api.js';
import { type RunningMoovEmulator, startMoovEmulator } from './moov.emulator.js';
import { expiryOf } from './moov.wire.js';

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

describe("rotor's Moov client", () => {
  it('mints, refreshes, pings and revokes', async () => {
    const pair = await api().clientCredentials('/ping.read');
    await api().ping(pair.access_token);
    const next = await api().refresh(pair.refresh_token);
    await api().revoke(next.access_token, 'access_token');
    expect((await rotationFailure(api().ping(next.access_token))).kind).toBe('auth');
  });

  it('reads expires_in as a Unix timestamp or as seconds', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(expiryOf(900, now).toISOString()).toBe('2026-11-24T12:15:00.000Z');
    expect(expiryOf(1_795_608_000, now).toISOString()).toBe('2026-11-25T12:00:00.000Z');
  });

  it('sends Origin for keys with a domain list', async () => {
    expect((await rotationFailure(api(restricted).clientCredentials('/ping.read'))).details.status).toBe(403);
    await expect(
      api(restricted, { origin: 'https://app.example.com' }).clientCredentials('/ping.read'),
    ).resolves.toBeDefined();
  });

  it('keeps Moov’s field messages: a refused refresh token is a 400 invalid_grant', async () => {
    const error = await rotationFailure(api().refresh('moov_rt_unknown'));
    expect(error).toMatchObject({ kind: 'invalid-config', details: { status: 400 } });
    expect(error.message).toMatch(/invalid_grant/);
    const scope = await rotationFailure(api().clientCredentials('/wallets.admin'));
    expect(scope.message).toMatch(/scope: scope \/wallets\.admin is not allowed/);
  });

  it('classifies a wrong secret key as auth', async () => {
    expect(
      (await rotationFailure(api(emulator, { secretKey: 'sk_wrong' }).clientCredentials('/ping.read'))).kind,
    ).toBe('auth');
  });

  it.each([
    ['a 503', { kind: 'status', status: 503 } as const, 'transient'],
    ['a 504', { kind: 'status', status: 504 } as const, 'transient'],
    ['a 429 (X-Retry-In in ms)', { kind: 'rate-limit', retryAfterSeconds: 3 } as const, 'rate-limited'],
    ['a malformed body', { kind: 'malformed' } as const, 'protocol'],
    ['a dropped connection', { kind: 'drop' } as const, 'transient'],
  ])('classifies %s', async (_name, fault, kind) => {
    emulator.server.faults.add({ route: 'createAccessToken', fault, times: 1 });
    const error = await rotationFailure(api().clientCredentials('/ping.read'));
    expect(error.kind).toBe(kind);
    if (kind === 'rate-limited') expect(error.details.retryAfterMs).toBe(3_000);
  });

  it('classifies a response slower than the deadline as transient', async () => {
    emulator.server.faults.add({
      route: 'createAccessToken',
      fault: { kind: 'delay', delayMs: 500 },
      times: 1,
    });
    expect((await rotationFailure(api(emulator, {}, 100).clientCredentials('/ping.read'))).kind).toBe(
      'transient',
    );
  });

  it('never puts a token or key in an error message', async () => {
    const pair = await api().clientCredentials('/ping.read');
    emulator.server.faults.add({
      route: 'revokeAccessToken',
      fault: { kind: 'status', status: 500 },
      times: 1,
    });
    const error = await rotationFailure(api().revoke(pair.access_token, 'access_token'));
    const text = JSON.stringify({ message: error.message, details: error.details });
    for (const value of [pair.access_token, emulator.secretKey]) expect(text).not.toContain(value);
  });
});
