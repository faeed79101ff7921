import { startTelenorEmulator } from '../../src/providers/telenor/telenor.emulator.js';
import type { ProviderFixture } from '../support/provider-fixture.js';

/** Telenor NB-IoT API tokens through a CONNECT ID session (overlap: the old token is deleted after grace). */
export async function startTelenorFixture(): Promise<ProviderFixture> {
  const emulator = await startTelenorEmulator();
  return {
    providerId: 'telenor',
    action: 'rotate',
    server: emulator.server,
    env: { FIXTURE_TELENOR_SESSION: emulator.session },
    connectionYaml: [`baseUrl: ${emulator.server.origin}`, 'session: { env: FIXTURE_TELENOR_SESSION }'].join(
      '\n',
    ),
    newTarget: async (policyId) => ({
      targetYaml: `{ resource: /collections/${policyId}, write: false, tags: { team: platform } }`,
    }),
    issueRoute: 'createToken',
    verifyRoute: 'ping',
    revokeRoute: 'deleteToken',
    accepts: async (credential) => {
      const { token } = credential as { token: string };
      const response = await fetch(`${emulator.server.origin}/`, { headers: { 'x-api-token': token } });
      await response.arrayBuffer();
      return response.status === 200 || response.status === 403;
    },
    secrets: () => [...emulator.store.mintedSecrets(), emulator.session, emulator.apiToken],
    close: () => emulator.server.close(),
  };
}
