import { fingerprint } from '../../src/domain/ids.js';
import {
  type RunningTelenorEmulator,
  startTelenorEmulator,
} from '../../src/providers/telenor/telenor.emulator.js';
import type { ProviderFixture } from '../support/provider-fixture.js';
import { vendorAnswer } from '../support/vendor-answer.js';

/** Telenor NB-IoT API tokens through a CONNECT ID session (overlap: the old token is deleted after grace). */
export async function startTelenorFixture(): Promise<ProviderFixture> {
  return telenorFixtureFor(await startTelenorEmulator());
}

/** The fixture for an emulator the test started itself (to reach its store). */
export function telenorFixtureFor(emulator: RunningTelenorEmulator): ProviderFixture {
  // Telenor tokens do not expire: every token tagged as rotor's is live until deleted.
  const liveCredentials = () =>
    emulator.store
      .list()
      .filter((token) => token.tags['managed-by'] === 'rotor')
      .map((token) => fingerprint(token.token));
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
    // `GET /` with the token does not answer 401 (a restricted token's 403 is still a token Telenor knows).
    accepts: async (credential) => {
      const { token } = (credential ?? {}) as { token?: unknown };
      if (typeof token !== 'string') return false;
      const status = await vendorAnswer(`${emulator.server.origin}/`, { headers: { 'x-api-token': token } });
      return status !== 401;
    },
    liveCredentials,
    liveIssued: () => liveCredentials().length,
    credentialId: (credential) => {
      const { token } = (credential ?? {}) as { token?: unknown };
      return typeof token === 'string' ? fingerprint(token) : undefined;
    },
    secrets: () => [...emulator.store.mintedSecrets(), emulator.session, emulator.apiToken],
    close: () => emulator.server.close(),
  };
}
