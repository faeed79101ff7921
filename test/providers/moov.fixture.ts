import { MOOV_ROUTES, startMoovEmulator } from '../../src/providers/moov/moov.emulator.js';
import type { ProviderFixture } from '../support/provider-fixture.js';

/** Moov OAuth tokens with client_credentials (overlap: the displaced pair is revoked after grace). */
export async function startMoovFixture(): Promise<ProviderFixture> {
  const emulator = await startMoovEmulator();
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
    accepts: async (credential) => {
      const { access_token: token } = credential as { access_token: string };
      const response = await fetch(`${emulator.server.origin}/ping`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await response.arrayBuffer();
      return response.status === 200;
    },
    // Every access token is rotor's (the admin credential is the key pair); refresh tokens are not counted.
    liveIssued: () =>
      emulator.store.list().filter((token) => token.kind === 'access_token' && token.state === 'live').length,
    secrets: () => [...emulator.store.mintedSecrets(), emulator.secretKey],
    close: () => emulator.server.close(),
  };
}
