import { fingerprint } from '../../src/domain/ids.js';
import { MOOV_ROUTES, startMoovEmulator } from '../../src/providers/moov/moov.emulator.js';
import type { ProviderFixture } from '../support/provider-fixture.js';
import { vendorAnswer } from '../support/vendor-answer.js';

/** Moov OAuth tokens with client_credentials (overlap: the displaced pair is revoked after grace). */
export async function startMoovFixture(): Promise<ProviderFixture> {
  const emulator = await startMoovEmulator();
  const tokenNamed = (token: unknown) =>
    typeof token === 'string'
      ? emulator.store.list().find((listed) => listed.fingerprint === fingerprint(token))
      : undefined;
  // Every pair is rotor's (the admin credential is the key pair). A pair stays live while either token
  // works: Moov documents no lifetime for refresh tokens, so one nobody revokes stays live.
  const liveCredentials = () => [
    ...new Set(
      emulator.store
        .list()
        .filter((token) => token.state === 'live')
        .map((token) => token.issue),
    ),
  ];
  return {
    providerId: 'moov',
    action: 'clientCredentials',
    server: emulator.server,
    env: { FIXTURE_MOOV_PUBLIC_KEY: emulator.publicKey, FIXTURE_MOOV_SECRET_KEY: emulator.secretKey },
    connectionYaml: [
      `baseUrl: ${emulator.server.origin}`,
      'publicKey: { env: FIXTURE_MOOV_PUBLIC_KEY }',
      'secretKey: { env: FIXTURE_MOOV_SECRET_KEY }',
    ].join('\n'),
    newTarget: async () => ({ targetYaml: '{ scope: "/accounts.read /ping.read" }' }),
    issueRoute: MOOV_ROUTES.token,
    // Verify reads GET /ping with the new access token.
    verifyRoute: MOOV_ROUTES.ping,
    revokeRoute: MOOV_ROUTES.revoke,
    // The access token and the refresh token of the displaced pair (target.revokeRefreshToken defaults to true).
    revokeCalls: 2,
    // `GET /ping` with the access token answers 2xx, and the refresh token is live at Moov.
    accepts: async (credential) => {
      const { access_token: accessToken, refresh_token: refreshToken } = (credential ?? {}) as {
        access_token?: unknown;
        refresh_token?: unknown;
      };
      if (typeof accessToken !== 'string') return false;
      const status = await vendorAnswer(`${emulator.server.origin}/ping`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      return status >= 200 && status < 300 && tokenNamed(refreshToken)?.state === 'live';
    },
    liveCredentials,
    liveIssued: () => liveCredentials().length,
    credentialId: (credential) =>
      tokenNamed((credential as { access_token?: unknown } | null)?.access_token)?.issue,
    secrets: () => [...emulator.store.mintedSecrets(), emulator.secretKey],
    close: () => emulator.server.close(),
  };
}
