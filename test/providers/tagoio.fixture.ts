// The SDK is CommonJS: Node's own ESM loader (the benchmark runs fixtures under tsx) sees no named exports.
import tagoSdk from '@tago-io/sdk';
import { fingerprint } from '../../src/domain/ids.js';
import { startTagoioEmulator } from '../../src/providers/tagoio/tagoio.emulator.js';
import { type TagoioCredential, tagoioCredentialSchema } from '../../src/providers/tagoio/tagoio.schemas.js';
import { parseRotorTokenName, rotorTokenName } from '../../src/providers/tagoio/tagoio.token-name.js';
import type { ProviderFixture } from '../support/provider-fixture.js';

/** An `expire_time` as the store keeps it (ISO 8601 or `never`) or as the SDK parses it (a Date). */
const unexpired = (expireTime: string | Date | null | undefined, now: number) =>
  expireTime === null ||
  expireTime === undefined ||
  expireTime === 'never' ||
  new Date(expireTime).getTime() > now;

/** TagoIO service-authorization tokens (overlap: the old token is deleted after grace). */
export async function startTagoioFixture(): Promise<ProviderFixture> {
  const emulator = await startTagoioEmulator();
  const origin = emulator.server.origin;
  // The official SDK with the profile token, as the operator would list the profile's tokens.
  const tagoio = new tagoSdk.Resources({ token: emulator.token, region: { api: origin, sse: origin } });
  const liveCredentials = () =>
    emulator.store
      .list()
      .filter(
        (token) => parseRotorTokenName(token.name) !== undefined && unexpired(token.expireTime, Date.now()),
      )
      .map((token) => fingerprint(token.token));
  return {
    providerId: 'tagoio',
    action: 'rotate',
    server: emulator.server,
    env: { FIXTURE_TAGOIO_TOKEN: emulator.token },
    connectionYaml: [`baseUrl: ${origin}`, 'token: { env: FIXTURE_TAGOIO_TOKEN }'].join('\n'),
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
    // A service-authorization token cannot call the API itself: it is accepted while TagoIO lists it, under
    // its name, with its permission, unexpired.
    accepts: async (credential) => {
      // As a consumer parses the stored document: strictly, allowing rotor's own `rotor` member.
      const { rotor: _provenance, ...fields } = (credential ?? {}) as Record<string, unknown>;
      const parsed = tagoioCredentialSchema.safeParse(fields);
      if (!parsed.success) return false;
      const listed = await tagoio.serviceAuthorization.tokenList({
        fields: ['token', 'name', 'permission', 'expire_time'],
        filter: { name: parsed.data.name },
        amount: 10_000,
      });
      return listed.some(
        (token) =>
          token.token === parsed.data.token &&
          token.permission === parsed.data.permission &&
          unexpired(token.expire_time, Date.now()),
      );
    },
    liveCredentials,
    liveIssued: () => liveCredentials().length,
    credentialId: (credential) => {
      const { token } = (credential ?? {}) as { token?: unknown };
      return typeof token === 'string' ? fingerprint(token) : undefined;
    },
    secrets: () => [...emulator.store.mintedSecrets(), emulator.token],
    close: () => emulator.server.close(),
  };
}
