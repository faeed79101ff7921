import {
  type RunningTelenorEmulator,
  startTelenorEmulator,
} from '../../src/providers/telenor/telenor.emulator.js';
import type { ProviderFixture } from '../support/provider-fixture.js';

/** Telenor NB-IoT API tokens through a CONNECT ID session (overlap: the old token is deleted after grace). */
export async function startTelenorFixture(): Promise<ProviderFixture> {
  return telenorFixtureFor(await startTelenorEmulator());
}

/** The fixture for an emulator the test started itself (to reach its store). */
export function telenorFixtureFor(emulator: RunningTelenorEmulator): ProviderFixture {
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
    plantRotorCredential: async (policyId, runId) => {
      const made = emulator.store.create({
        resource: '/',
        write: false,
        tags: { 'managed-by': 'rotor', policy: policyId, run: runId },
      });
      return { token: made.token, resource: made.resource, write: made.write, tags: made.tags };
    },
    accepts: async (credential) => {
      const { token } = credential as { token: string };
      const response = await fetch(`${emulator.server.origin}/`, { headers: { 'x-api-token': token } });
      await response.arrayBuffer();
      return response.status === 200 || response.status === 403;
    },
    // Telenor tokens do not expire: every token tagged as rotor's is live until deleted.
    liveIssued: () => emulator.store.list().filter((token) => token.tags['managed-by'] === 'rotor').length,
    secrets: () => [...emulator.store.mintedSecrets(), emulator.session, emulator.apiToken],
    close: () => emulator.server.close(),
  };
}
