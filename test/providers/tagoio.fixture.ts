import { startTagoioEmulator } from '../../src/providers/tagoio/tagoio.emulator.js';
import { type TagoioCredential, tagoioCredentialSchema } from '../../src/providers/tagoio/tagoio.schemas.js';
import { parseRotorTokenName, rotorTokenName } from '../../src/providers/tagoio/tagoio.token-name.js';
import type { ProviderFixture } from '../support/provider-fixture.js';

/** TagoIO service-authorization tokens (overlap: the old token is deleted after grace). */
export async function startTagoioFixture(): Promise<ProviderFixture> {
  const emulator = await startTagoioEmulator();
  return {
    providerId: 'tagoio',
    action: 'rotate',
    server: emulator.server,
    env: { FIXTURE_TAGOIO_TOKEN: emulator.token },
    connectionYaml: [`baseUrl: ${emulator.server.origin}`, 'token: { env: FIXTURE_TAGOIO_TOKEN }'].join('\n'),
    newTarget: async (policyId) => ({ targetYaml: `{ name: "${policyId} gateway", permission: write }` }),
    issueRoute: 'createServiceAuth',
    verifyRoute: 'listServiceAuth',
    revokeRoute: 'deleteServiceAuth',
    plantRotorCredential: async (policyId, runId): Promise<TagoioCredential> => {
      const made = emulator.store.create({
        name: rotorTokenName('planted', policyId, runId),
        permission: 'write',
        expireTime: 'never',
      });
      return { token: made.token, name: made.name, permission: made.permission, expireTime: null };
    },
    // A service-authorization token is accepted while it exists at TagoIO (deleting it is the revoke).
    accepts: async (credential) => {
      // As a consumer parses the stored document: strictly, allowing rotor's own `rotor` member.
      const { rotor: _provenance, ...fields } = (credential ?? {}) as Record<string, unknown>;
      const parsed = tagoioCredentialSchema.safeParse(fields);
      return parsed.success && emulator.store.exists(parsed.data.token);
    },
    liveIssued: () =>
      emulator.store
        .list()
        .filter(
          (token) =>
            parseRotorTokenName(token.name) !== undefined &&
            (token.expireTime === 'never' || Date.parse(token.expireTime) > Date.now()),
        ).length,
    secrets: () => [...emulator.store.mintedSecrets(), emulator.token],
    close: () => emulator.server.close(),
  };
}
