import { startCloudflareEmulator } from '../../src/providers/cloudflare/cloudflare.emulator.js';
import { accessAdmits } from '../support/access-probe.js';
import type { ProviderFixture } from '../support/provider-fixture.js';

/** Cloudflare Access service tokens, rotated with `rotate` (native grace: Cloudflare retires the old secret). */
export async function startCloudflareFixture(): Promise<ProviderFixture> {
  const emulator = await startCloudflareEmulator();
  const accessUrl = emulator.client.accessUrl ?? '';
  const scope = { kind: 'accounts', id: emulator.admin.accountId } as const;
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
      return {
        targetYaml: `{ serviceTokenId: ${token.id} }`,
        extraPolicyYaml: `verify: { url: ${accessUrl} }`,
      };
    },
    issueRoute: 'rotateServiceToken',
    verifyRoute: 'accessApplication',
    accepts: (credential) =>
      accessAdmits(accessUrl, credential as { clientId: string; clientSecret: string }),
    // Rotation replaces a service token's secret: a token holds its current secret and, within the grace
    // Cloudflare was given, the previous one.
    liveIssued: () => {
      const now = Date.now();
      return emulator.store
        .list(scope)
        .reduce(
          (live, token) =>
            live + 1 + (token.previousSecret !== undefined && (token.previousExpiresAt ?? 0) > now ? 1 : 0),
          0,
        );
    },
    secrets: () => [...emulator.store.mintedSecrets(), emulator.admin.apiToken, emulator.admin.apiKey],
    close: () => emulator.server.close(),
  };
}
