import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stepContext } from '../../../test/support/step-context.js';
import { isRotationError } from '../../domain/errors.js';
import { fingerprint } from '../../domain/ids.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { type RunningMoovEmulator, startMoovEmulator } from './moov.emulator.js';
import type { MoovCredential, MoovTarget } from './moov.schemas.js';
import {
  issueWithClientCredentials,
  issueWithRefreshToken,
  preflightApiKey,
  revokeTokenPair,
  verifyAccessToken,
} from './moov.steps.js';

let emulator: RunningMoovEmulator;
let secondsEmulator: RunningMoovEmulator;
const connectionOf = (target: RunningMoovEmulator) => ({
  baseUrl: target.server.origin,
  publicKey: Secret.of(target.publicKey),
  secretKey: Secret.of(target.secretKey),
  moovVersion: 'v2026.07.00',
});
beforeAll(async () => {
  emulator = await startMoovEmulator();
  secondsEmulator = await startMoovEmulator({ expiresIn: 'seconds', accessTokenTtlSeconds: 600 });
});
afterAll(async () => {
  await emulator.server.close();
  await secondsEmulator.server.close();
});
beforeEach(() => emulator.server.calls.clear());

const ctx = () => stepContext(systemClock);
const target = (fallback = false): MoovTarget => ({
  scope: '/accounts.read /ping.read',
  fallbackToClientCredentials: fallback,
});
const issue = (
  action: typeof issueWithClientCredentials,
  options: { current?: MoovCredential; fallback?: boolean; on?: RunningMoovEmulator } = {},
) =>
  action(
    {
      connection: connectionOf(options.on ?? emulator),
      target: target(options.fallback),
      current: options.current === undefined ? undefined : Secret.of(options.current),
      gracePeriodMs: 0,
    },
    ctx(),
  );
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );

describe('Moov steps', () => {
  it('clientCredentials: a pair with the scope, its expiry from either expires_in format', async () => {
    for (const on of [emulator, secondsEmulator]) {
      const before = Date.now();
      const issued = await issue(issueWithClientCredentials, { on });
      const credential = issued.credential.reveal();
      expect(credential).toMatchObject({ token_type: 'Bearer', scope: '/accounts.read /ping.read' });
      expect(issued.handle).toBe(fingerprint(credential.access_token));
      const lifetime = Date.parse(credential.expires_at) - before;
      expect(lifetime).toBeGreaterThan((on === emulator ? 890 : 590) * 1000);
      expect(lifetime).toBeLessThan((on === emulator ? 910 : 610) * 1000);
    }
  });

  it('refreshToken: the next pair from the stored refresh token', async () => {
    const current = (await issue(issueWithClientCredentials)).credential.reveal();
    const next = (await issue(issueWithRefreshToken, { current })).credential.reveal();

    expect(next.access_token).not.toBe(current.access_token);
    expect(emulator.server.calls.handled('createAccessToken')).toHaveLength(2);
  });

  it('refreshToken: a refused refresh token fails as auth, naming the way out, when fallback is off', async () => {
    const current = (await issue(issueWithClientCredentials)).credential.reveal();
    await issue(issueWithRefreshToken, { current });

    const error = await failureOf(issue(issueWithRefreshToken, { current }));
    expect(isRotationError(error) && error.kind).toBe('auth');
    expect(isRotationError(error) && error.message).toMatch(
      /refused the stored refresh token.*fallbackToClientCredentials/,
    );
  });

  it('refreshToken: a refused refresh token falls back to client_credentials when allowed', async () => {
    const current = (await issue(issueWithClientCredentials)).credential.reveal();
    await issue(issueWithRefreshToken, { current });

    const issued = await issue(issueWithRefreshToken, { current, fallback: true });
    expect(issued.credential.reveal().scope).toBe('/accounts.read /ping.read');
  });

  it('refreshToken: without a stored pair it needs clientCredentials first (or the fallback)', async () => {
    const error = await failureOf(issue(issueWithRefreshToken));
    expect(isRotationError(error) && error.kind).toBe('invalid-config');
    await expect(issue(issueWithRefreshToken, { fallback: true })).resolves.toBeDefined();
  });

  it('verifies with GET /ping; a revoked token is refused', async () => {
    const { credential } = await issue(issueWithClientCredentials);
    const verify = () =>
      verifyAccessToken(
        { connection: connectionOf(emulator), target: target(), credential, handle: '', settings: undefined },
        ctx(),
      );
    expect(await verify()).toEqual({ kind: 'end-to-end' });
    emulator.store.revoke(credential.reveal().access_token);
    const error = await failureOf(verify());
    expect(isRotationError(error) && error.kind).toBe('auth');
  });

  it('revokes both tokens of the displaced pair', async () => {
    const { credential, handle } = await issue(issueWithClientCredentials);
    const result = await revokeTokenPair(
      { connection: connectionOf(emulator), target: target(), handle, credential },
      ctx(),
    );

    expect(result).toBe('revoked');
    expect(emulator.store.accessTokenState(credential.reveal().access_token)?.live).toBe(false);
    expect(emulator.store.redeem(credential.reveal().refresh_token, true)).toBeUndefined();
  });

  it('preflight pings with the API key', async () => {
    await expect(
      preflightApiKey({ connection: connectionOf(emulator), target: target() }, ctx()),
    ).resolves.toBeUndefined();
  });
});
