import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rotationFailure } from '../../../test/support/rotation-failure.js';
import { stepContext } from '../../../test/support/step-context.js';
import { fingerprint } from '../../domain/ids.js';
import { Secret } from '../../domain/secret.js';
import { type RunningMoovEmulator, startMoovEmulator } from './moov.emulator.js';
import type { MoovCredential, MoovTarget } from './moov.schemas.js';
import {
  issueWithClientCredentials,
  issueWithRefreshToken,
  preflightApiKey,
  revokeTokenPair,
  verifyAccessToken,
} from './moov.steps.js';

const start = Date.parse('2026-11-24T10:00:00Z');
let now = start;
const clock = { now: () => now };

let emulator: RunningMoovEmulator;
let seconds: RunningMoovEmulator;
let wholeGrant: RunningMoovEmulator;
let restricted: RunningMoovEmulator;

beforeAll(async () => {
  emulator = await startMoovEmulator({ clock });
  seconds = await startMoovEmulator({ clock, expiresIn: 'seconds', accessTokenTtlSeconds: 600 });
  wholeGrant = await startMoovEmulator({ clock, revokeWholeGrant: true });
  restricted = await startMoovEmulator({ clock, domains: ['app.example.com'] });
});
afterAll(async () => {
  for (const running of [emulator, seconds, wholeGrant, restricted]) await running.server.close();
});
beforeEach(() => {
  now = start;
  emulator.server.calls.clear();
  emulator.server.faults.clear();
});

const connectionOf = (on: RunningMoovEmulator, origin?: string) => ({
  baseUrl: on.server.origin,
  publicKey: Secret.of(on.publicKey),
  secretKey: Secret.of(on.secretKey),
  moovVersion: 'v2026.07.00',
  ...(origin === undefined ? {} : { origin }),
});
const targetOf = (options: Partial<MoovTarget> = {}): MoovTarget => ({
  scope: '/accounts.read /ping.read',
  fallbackToClientCredentials: false,
  revokeRefreshToken: true,
  ...options,
});

interface IssueOptions {
  readonly current?: MoovCredential;
  readonly target?: Partial<MoovTarget>;
  readonly on?: RunningMoovEmulator;
  readonly origin?: string;
  readonly ctx?: ReturnType<typeof stepContext>;
}
const issue = (action: typeof issueWithClientCredentials, options: IssueOptions = {}) =>
  action(
    {
      connection: connectionOf(options.on ?? emulator, options.origin),
      target: targetOf(options.target),
      current: options.current === undefined ? undefined : Secret.of(options.current),
      gracePeriodMs: 0,
    },
    options.ctx ?? stepContext(clock),
  );
const mintPair = async (options: IssueOptions = {}) =>
  (await issue(issueWithClientCredentials, options)).credential.reveal();

const verify = (credential: MoovCredential, options: { on?: RunningMoovEmulator; origin?: string } = {}) =>
  verifyAccessToken(
    {
      connection: connectionOf(options.on ?? emulator, options.origin),
      target: targetOf(),
      credential: Secret.of(credential),
      handle: fingerprint(credential.access_token),
      settings: undefined,
    },
    stepContext(clock),
  );
const revoke = (
  credential: MoovCredential | undefined,
  options: { target?: Partial<MoovTarget>; on?: RunningMoovEmulator; handle?: string } = {},
) =>
  revokeTokenPair(
    {
      connection: connectionOf(options.on ?? emulator),
      target: targetOf(options.target),
      handle: options.handle ?? fingerprint(credential?.access_token ?? ''),
      credential: credential === undefined ? undefined : Secret.of(credential),
    },
    stepContext(clock),
  );
const live = (token: string, on: RunningMoovEmulator = emulator) => on.store.accessTokenState(token)?.live;
const tokenCalls = () => emulator.server.calls.handled('createAccessToken').length;

describe('Moov issue: clientCredentials', () => {
  it('mints a pair with the target scope; handle is the access token fingerprint; expiry from either format', async () => {
    for (const [on, lifetimeMs] of [
      [emulator, 900_000],
      [seconds, 600_000],
    ] as const) {
      const issued = await issue(issueWithClientCredentials, { on });
      const credential = issued.credential.reveal();
      expect(credential).toMatchObject({ token_type: 'Bearer', scope: '/accounts.read /ping.read' });
      expect(issued.handle).toBe(fingerprint(credential.access_token));
      expect(credential.expires_at).toBe(new Date(start + lifetimeMs).toISOString());
      expect(issued.expiresAt?.getTime()).toBe(start + lifetimeMs);
      expect(String(issued.credential)).toBe('[secret]');
    }
  });

  it('fails as invalid-config when the key may not grant the scope', async () => {
    const error = await rotationFailure(
      issue(issueWithClientCredentials, { target: { scope: '/wallets.admin' } }),
    );
    expect(error).toMatchObject({ kind: 'invalid-config', details: { status: 422 } });
  });
});

describe('Moov issue: refreshToken', () => {
  it('mints the next pair from the stored refresh token', async () => {
    const current = await mintPair();
    emulator.server.calls.clear();

    const next = (await issue(issueWithRefreshToken, { current })).credential.reveal();

    expect(next.access_token).not.toBe(current.access_token);
    expect(next.scope).toBe(current.scope);
    expect(tokenCalls()).toBe(1);
    expect(emulator.store.redeem(current.refresh_token, true)).toBeUndefined();
    expect(live(current.access_token)).toBe(true);
  });

  it('mints the first pair with client_credentials when nothing is stored yet', async () => {
    const ctx = stepContext(clock);
    const issued = await issue(issueWithRefreshToken, { ctx });
    expect(live(issued.credential.reveal().access_token)).toBe(true);
    expect(ctx.logText()).toMatch(/no Moov token pair stored yet/);
  });

  it('mints with client_credentials when the stored pair lacks a scope the target now asks for', async () => {
    const current = await mintPair({ target: { scope: '/ping.read' } });
    const next = (await issue(issueWithRefreshToken, { current })).credential.reveal();
    expect(next.scope).toBe('/accounts.read /ping.read');
    expect(emulator.store.redeem(current.refresh_token, true)).toBeDefined();
  });

  it('fails as auth when Moov refuses the refresh token and fallback is off; nothing is minted', async () => {
    const current = await mintPair();
    await issue(issueWithRefreshToken, { current });
    emulator.server.calls.clear();
    const minted = emulator.store.mintedSecrets().length;

    const error = await rotationFailure(issue(issueWithRefreshToken, { current }));

    expect(error.kind).toBe('auth');
    expect(error.details.status).toBe(400);
    expect(error.message).toMatch(/Moov refused the stored refresh token \(.*invalid_grant\)/);
    expect(error.message).toMatch(/current access token stays in place until it expires at 2026-11-24T10:15/);
    expect(error.message).toMatch(/fallbackToClientCredentials/);
    expect(error.message).not.toContain(current.refresh_token);
    expect(emulator.store.mintedSecrets()).toHaveLength(minted);
  });

  it('falls back to client_credentials when Moov refuses the refresh token and the target allows it', async () => {
    const current = await mintPair();
    await issue(issueWithRefreshToken, { current });
    const ctx = stepContext(clock);

    const issued = await issue(issueWithRefreshToken, {
      current,
      target: { fallbackToClientCredentials: true },
      ctx,
    });

    const credential = issued.credential.reveal();
    expect(credential.scope).toBe('/accounts.read /ping.read');
    expect(live(credential.access_token)).toBe(true);
    expect(ctx.logText()).toMatch(/refused the stored refresh token; minting a new pair/);
    for (const value of [current.refresh_token, credential.access_token, credential.refresh_token])
      expect(ctx.logText()).not.toContain(value);
  });

  it('treats a 422 on the refresh token as a refusal too', async () => {
    const current = await mintPair();
    emulator.server.faults.add({
      route: 'createAccessToken',
      fault: { kind: 'status', status: 422 },
      times: 1,
    });
    const issued = await issue(issueWithRefreshToken, {
      current,
      target: { fallbackToClientCredentials: true },
    });
    expect(live(issued.credential.reveal().access_token)).toBe(true);
    expect(emulator.store.redeem(current.refresh_token, true)).toBeDefined();
  });

  it('does not fall back when the API key or the service failed, only when the refresh token was refused', async () => {
    const current = await mintPair();
    const fallback = { fallbackToClientCredentials: true };
    emulator.server.faults.add({
      route: 'createAccessToken',
      fault: { kind: 'status', status: 401 },
      times: 1,
    });
    expect((await rotationFailure(issue(issueWithRefreshToken, { current, target: fallback }))).kind).toBe(
      'auth',
    );
    emulator.server.faults.add({
      route: 'createAccessToken',
      fault: { kind: 'status', status: 503 },
      times: 1,
    });
    expect((await rotationFailure(issue(issueWithRefreshToken, { current, target: fallback }))).kind).toBe(
      'transient',
    );
    expect(tokenCalls()).toBe(1);
  });
});

describe('Moov verify', () => {
  it('is end to end with GET /ping; a revoked or expired token fails as auth', async () => {
    const credential = await mintPair();
    expect(await verify(credential)).toEqual({ kind: 'end-to-end' });

    emulator.store.revoke(credential.access_token, false);
    expect(await rotationFailure(verify(credential))).toMatchObject({
      kind: 'auth',
      details: { status: 401 },
    });

    const expiring = await mintPair();
    now = start + 901_000;
    expect((await rotationFailure(verify(expiring))).kind).toBe('auth');
  });

  it('falls back to a metadata outcome for a token whose scope has no /ping.read (403)', async () => {
    const credential = await mintPair({ target: { scope: '/accounts.read' } });
    const outcome = await verify(credential);
    expect(outcome.kind).toBe('metadata');
    expect(outcome.kind === 'metadata' && outcome.reason).toMatch(/no \/ping\.read/);
  });

  it('fails as auth on a 403 for a token with /ping.read (here: a missing Origin)', async () => {
    const credential = await mintPair({ on: restricted, origin: 'https://app.example.com' });
    expect(await verify(credential, { on: restricted, origin: 'https://app.example.com' })).toEqual({
      kind: 'end-to-end',
    });
    const error = await rotationFailure(verify(credential, { on: restricted }));
    expect(error).toMatchObject({ kind: 'auth', details: { status: 403 } });
  });

  it('classifies a 5xx as transient and a 429 as rate-limited', async () => {
    const credential = await mintPair();
    emulator.server.faults.add({ route: 'ping', fault: { kind: 'status', status: 502 }, times: 1 });
    expect((await rotationFailure(verify(credential))).kind).toBe('transient');
    emulator.server.faults.add({
      route: 'ping',
      fault: { kind: 'rate-limit', retryAfterSeconds: 5 },
      times: 1,
    });
    expect(await rotationFailure(verify(credential))).toMatchObject({
      kind: 'rate-limited',
      details: { retryAfterMs: 5_000 },
    });
  });
});

describe('Moov revoke', () => {
  it('revokes both tokens of the displaced pair', async () => {
    const displaced = await mintPair();
    emulator.server.calls.clear();

    expect(await revoke(displaced)).toBe('revoked');

    expect(emulator.server.calls.handled('revokeAccessToken')).toHaveLength(2);
    expect(live(displaced.access_token)).toBe(false);
    expect(emulator.store.redeem(displaced.refresh_token, true)).toBeUndefined();
  });

  it('is idempotent: a second revoke of the same pair succeeds', async () => {
    const displaced = await mintPair();
    await revoke(displaced);
    expect(await revoke(displaced)).toBe('revoked');
  });

  it('revokes only the access token when the target says so', async () => {
    const displaced = await mintPair();
    emulator.server.calls.clear();

    expect(await revoke(displaced, { target: { revokeRefreshToken: false } })).toBe('revoked');

    expect(emulator.server.calls.handled('revokeAccessToken')).toHaveLength(1);
    expect(live(displaced.access_token)).toBe(false);
    expect(emulator.store.redeem(displaced.refresh_token, true)).toBeDefined();
  });

  it('reports already-gone when Moov refuses the access token already (401) or it has expired', async () => {
    const target = { revokeRefreshToken: false };
    const revoked = await mintPair();
    emulator.store.revoke(revoked.access_token, false);
    expect(await revoke(revoked, { target })).toBe('already-gone');

    const expired = await mintPair();
    now = start + 901_000;
    expect(await revoke(expired, { target })).toBe('already-gone');
    expect(emulator.server.calls.handled('revokeAccessToken').length).toBeGreaterThanOrEqual(2);
  });

  it('keeps a refreshed pair alive on a server that revokes whole grants, when told not to revoke refresh tokens', async () => {
    const displaced = await mintPair({ on: wholeGrant });
    const current = (
      await issue(issueWithRefreshToken, { on: wholeGrant, current: displaced })
    ).credential.reveal();

    await revoke(displaced, { on: wholeGrant, target: { revokeRefreshToken: false } });
    expect(live(current.access_token, wholeGrant)).toBe(true);

    await revoke(displaced, { on: wholeGrant });
    expect(live(current.access_token, wholeGrant)).toBe(false);
  });

  it('refuses to guess when the displaced credential is missing or is not the one issued', async () => {
    const displaced = await mintPair();
    expect(
      (await rotationFailure(revoke(undefined, { handle: fingerprint(displaced.access_token) }))).kind,
    ).toBe('protocol');
    expect((await rotationFailure(revoke(displaced, { handle: 'sha256:0000000000000000' }))).kind).toBe(
      'protocol',
    );
    expect(live(displaced.access_token)).toBe(true);
  });

  it('retries a failed revoke call: a 5xx is transient', async () => {
    const displaced = await mintPair();
    emulator.server.faults.add({
      route: 'revokeAccessToken',
      fault: { kind: 'status', status: 500 },
      times: 1,
    });
    expect((await rotationFailure(revoke(displaced))).kind).toBe('transient');
    expect(await revoke(displaced)).toBe('revoked');
  });
});

describe('Moov preflight', () => {
  it('pings with the API key, minting nothing', async () => {
    const minted = emulator.store.mintedSecrets().length;
    await expect(
      preflightApiKey({ connection: connectionOf(emulator), target: targetOf() }, stepContext(clock)),
    ).resolves.toBeUndefined();
    expect(emulator.store.mintedSecrets()).toHaveLength(minted);
    expect(emulator.server.calls.handled('ping')).toHaveLength(1);
  });

  it('fails as auth with a wrong secret key', async () => {
    const connection = { ...connectionOf(emulator), secretKey: Secret.of('sk_wrong') };
    expect(
      (await rotationFailure(preflightApiKey({ connection, target: targetOf() }, stepContext(clock)))).kind,
    ).toBe('auth');
  });
});
