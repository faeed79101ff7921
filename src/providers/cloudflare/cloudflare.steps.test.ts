import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stepContext } from '../../../test/support/step-context.js';
import { Secret } from '../../domain/secret.js';
import { type RunningCloudflareEmulator, startCloudflareEmulator } from './cloudflare.emulator.js';
import type { CloudflareCredential } from './cloudflare.schemas.js';
import {
  preflightServiceToken,
  refreshServiceToken,
  rotateServiceToken,
  verifyServiceToken,
} from './cloudflare.steps.js';

const start = Date.parse('2026-11-24T10:00:00Z');
let now = start;
const clock = { now: () => now };
let emulator: RunningCloudflareEmulator;

beforeAll(async () => {
  emulator = await startCloudflareEmulator({ clock });
});
afterAll(() => emulator.server.close());
beforeEach(() => {
  now = start;
});

const accountConnection = () => ({
  accountId: emulator.admin.accountId,
  apiToken: Secret.of(emulator.admin.apiToken),
  baseUrl: emulator.client.baseUrl ?? '',
});
const zoneConnection = () => ({
  zoneId: emulator.admin.zoneId,
  apiToken: Secret.of(emulator.admin.apiToken),
  baseUrl: emulator.client.baseUrl ?? '',
});

const accepted = async (clientId: string, clientSecret: string) =>
  (
    await fetch(emulator.client.accessUrl ?? '', {
      headers: { 'CF-Access-Client-Id': clientId, 'CF-Access-Client-Secret': clientSecret },
      redirect: 'manual',
    })
  ).status === 200;

describe.each([
  ['account', accountConnection, 'account' as const],
  ['zone', zoneConnection, 'zone' as const],
])('rotate at %s scope', (_, connection, scope) => {
  it('issues a new secret that works at once, while the old one works until the grace period ends', async () => {
    const seeded = emulator.seedToken({ name: `rotate-${scope}`, scope });
    const issued = await rotateServiceToken(
      {
        connection: connection(),
        target: { serviceTokenId: seeded.id },
        current: undefined,
        gracePeriodMs: 3_600_000,
      },
      stepContext(clock),
    );
    const credential = issued.credential.reveal();
    expect(issued.handle).toBe(seeded.id);
    expect(credential).toMatchObject({ serviceTokenId: seeded.id, clientId: seeded.clientId });
    expect(credential.clientSecret).not.toBe(seeded.clientSecret);
    expect(credential.expiresAt).not.toBeNull();
    expect(await accepted(seeded.clientId, credential.clientSecret)).toBe(true);
    expect(await accepted(seeded.clientId, seeded.clientSecret)).toBe(true);
    now = start + 3_600_001;
    expect(await accepted(seeded.clientId, seeded.clientSecret)).toBe(false);
    expect(await accepted(seeded.clientId, credential.clientSecret)).toBe(true);
  });
});

describe('refresh', () => {
  const currentFor = (seeded: {
    id: string;
    clientId: string;
    clientSecret: string;
  }): Secret<CloudflareCredential> =>
    Secret.of({
      serviceTokenId: seeded.id,
      clientId: seeded.clientId,
      clientSecret: seeded.clientSecret,
      expiresAt: null,
    });

  it('extends the expiry and keeps the same secret', async () => {
    const seeded = emulator.seedToken({ name: 'refresh', duration: '24h' });
    now = start + 3_600_000;
    const issued = await refreshServiceToken(
      {
        connection: accountConnection(),
        target: { serviceTokenId: seeded.id },
        current: currentFor(seeded),
        gracePeriodMs: 0,
      },
      stepContext(clock),
    );
    expect(issued.credential.reveal()).toMatchObject({
      clientSecret: seeded.clientSecret,
      expiresAt: new Date(now + 86_400_000).toISOString(),
    });
    expect(issued.expiresAt?.getTime()).toBe(now + 86_400_000);
  });

  it('refuses to run without an existing secret', async () => {
    const seeded = emulator.seedToken({ name: 'refresh-none' });
    await expect(
      refreshServiceToken(
        {
          connection: accountConnection(),
          target: { serviceTokenId: seeded.id },
          current: undefined,
          gracePeriodMs: 0,
        },
        stepContext(clock),
      ),
    ).rejects.toMatchObject({
      kind: 'invalid-config',
      message: 'refresh needs an existing secret to extend',
    });
  });

  it('refuses a stored credential of another token', async () => {
    const seeded = emulator.seedToken({ name: 'refresh-a' });
    const other = emulator.seedToken({ name: 'refresh-b' });
    await expect(
      refreshServiceToken(
        {
          connection: accountConnection(),
          target: { serviceTokenId: seeded.id },
          current: currentFor(other),
          gracePeriodMs: 0,
        },
        stepContext(clock),
      ),
    ).rejects.toMatchObject({ kind: 'invalid-config' });
  });
});

describe('verify', () => {
  const credentialOf = (
    seeded: { id: string; clientId: string; clientSecret: string },
    secret = seeded.clientSecret,
  ) =>
    Secret.of({
      serviceTokenId: seeded.id,
      clientId: seeded.clientId,
      clientSecret: secret,
      expiresAt: null,
    });

  it('proves the pair end to end through the protected URL', async () => {
    const seeded = emulator.seedToken({ name: 'verify-e2e' });
    const outcome = await verifyServiceToken(
      {
        connection: accountConnection(),
        target: { serviceTokenId: seeded.id },
        credential: credentialOf(seeded),
        handle: seeded.id,
        settings: { url: emulator.client.accessUrl ?? '' },
      },
      stepContext(clock),
    );
    expect(outcome).toEqual({ kind: 'end-to-end' });
  });

  it('fails as auth when the protected URL refuses the pair', async () => {
    const seeded = emulator.seedToken({ name: 'verify-refused' });
    await expect(
      verifyServiceToken(
        {
          connection: accountConnection(),
          target: { serviceTokenId: seeded.id },
          credential: credentialOf(seeded, 'f'.repeat(64)),
          handle: seeded.id,
          settings: { url: emulator.client.accessUrl ?? '' },
        },
        stepContext(clock),
      ),
    ).rejects.toMatchObject({ kind: 'auth', details: { status: 403 } });
  });

  it('falls back to the metadata check without a verify URL, and says so', async () => {
    const seeded = emulator.seedToken({ name: 'verify-metadata' });
    const outcome = await verifyServiceToken(
      {
        connection: accountConnection(),
        target: { serviceTokenId: seeded.id },
        credential: credentialOf(seeded),
        handle: seeded.id,
        settings: undefined,
      },
      stepContext(clock),
    );
    expect(outcome).toEqual({ kind: 'metadata', reason: 'no verify.url configured' });
  });

  it('fails the metadata check for an expired token', async () => {
    const seeded = emulator.seedToken({ name: 'verify-expired', duration: '1h' });
    now = start + 7_200_000;
    await expect(
      verifyServiceToken(
        {
          connection: accountConnection(),
          target: { serviceTokenId: seeded.id },
          credential: credentialOf(seeded),
          handle: seeded.id,
          settings: undefined,
        },
        stepContext(clock),
      ),
    ).rejects.toMatchObject({ kind: 'auth', message: expect.stringContaining('expired') });
  });
});

describe('preflight', () => {
  it('passes for a readable target and fails as not-found for an unknown one', async () => {
    const seeded = emulator.seedToken({ name: 'preflight' });
    await expect(
      preflightServiceToken(
        { connection: accountConnection(), target: { serviceTokenId: seeded.id } },
        stepContext(clock),
      ),
    ).resolves.toBeUndefined();
    await expect(
      preflightServiceToken(
        {
          connection: accountConnection(),
          target: { serviceTokenId: '00000000-0000-4000-8000-000000000000' },
        },
        stepContext(clock),
      ),
    ).rejects.toMatchObject({ kind: 'not-found' });
  });
});
