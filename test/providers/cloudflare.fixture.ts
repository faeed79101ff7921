import { fingerprint } from '../../src/domain/ids.js';
import { startCloudflareEmulator } from '../../src/providers/cloudflare/cloudflare.emulator.js';
import { accessAdmits } from '../support/access-probe.js';
import type { ProviderFixture } from '../support/provider-fixture.js';

/** Cloudflare Access service tokens, rotated with `rotate` (native grace: Cloudflare retires the old secret). */
export async function startCloudflareFixture(): Promise<ProviderFixture> {
  const emulator = await startCloudflareEmulator();
  const accessUrl = emulator.client.accessUrl ?? '';
  const scope = { kind: 'accounts', id: emulator.admin.accountId } as const;
  /** The secrets each target's token was seeded with: the operator's, not rotor's. */
  const seeded = new Set<string>();
  // A token's current secret, and its previous one within the grace Cloudflare was given, while the token
  // itself is enabled and unexpired: what Access admits.
  const liveCredentials = () => {
    const now = Date.now();
    return emulator.store
      .list(scope)
      .filter((token) => token.enabled && (token.expiresAt === null || token.expiresAt > now))
      .flatMap((token) => [
        token.secret,
        ...(token.previousSecret !== undefined && (token.previousExpiresAt ?? 0) > now
          ? [token.previousSecret]
          : []),
      ])
      .filter((secret) => !seeded.has(secret))
      .map(fingerprint);
  };
  return {
    providerId: 'cloudflare',
    action: 'rotate',
    server: emulator.server,
    env: { FIXTURE_CF_API_TOKEN: emulator.admin.apiToken },
    connectionYaml: [
      `accountId: ${emulator.admin.accountId}`,
      'apiToken: { env: FIXTURE_CF_API_TOKEN }',
      `baseUrl: ${emulator.client.baseUrl}`,
    ].join('\n'),
    newTarget: async (policyId) => {
      const token = emulator.seedToken({ name: policyId, duration: '8760h' });
      seeded.add(token.clientSecret);
      return {
        targetYaml: `{ serviceTokenId: ${token.id} }`,
        extraPolicyYaml: `verify: { url: ${accessUrl} }`,
      };
    },
    issueRoute: 'rotateServiceToken',
    verifyRoute: 'accessApplication',
    // The client id and secret pair is admitted at the Access-protected path.
    accepts: (credential) =>
      accessAdmits(accessUrl, credential as { clientId: string; clientSecret: string }),
    liveCredentials,
    liveIssued: () => liveCredentials().length,
    credentialId: (credential) => {
      const { clientSecret } = (credential ?? {}) as { clientSecret?: unknown };
      return typeof clientSecret === 'string' ? fingerprint(clientSecret) : undefined;
    },
    secrets: () => [...emulator.store.mintedSecrets(), emulator.admin.apiToken, emulator.admin.apiKey],
    close: () => emulator.server.close(),
  };
}
