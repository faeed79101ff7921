import type { Resolved } from '../../domain/secret-reference.js';
import { listenAddressOf } from '../../emulator-harness/listen-address.js';
import type { DemoEmulator, DemoPolicy } from '../provider.js';
import { startCloudflareEmulator } from './cloudflare.emulator.js';
import type { TokenScope } from './cloudflare.emulator-store.js';
import type {
  CloudflareConnectionConfig,
  CloudflareCredential,
  CloudflareTarget,
} from './cloudflare.schemas.js';

/** Seeded tokens live this long; a refresh policy visibly moves the expiry. */
const DEMO_TOKEN_DURATION = '24h';

/** The Cloudflare emulator where the connection points, admitting its credentials, a token per policy. */
export async function startCloudflareDemo(
  connection: Resolved<CloudflareConnectionConfig>,
  policies: readonly DemoPolicy<CloudflareTarget>[],
): Promise<DemoEmulator<CloudflareCredential>> {
  const emulator = await startCloudflareEmulator({
    ...listenAddressOf(connection.baseUrl, 'Cloudflare'),
    ...(connection.accountId === undefined ? {} : { accountId: connection.accountId }),
    ...(connection.zoneId === undefined ? {} : { zoneId: connection.zoneId }),
    ...(connection.apiToken === undefined ? {} : { apiToken: connection.apiToken.reveal() }),
    ...(connection.email === undefined ? {} : { email: connection.email }),
    ...(connection.apiKey === undefined ? {} : { apiKey: connection.apiKey.reveal() }),
  });
  const zoneLevel = connection.accountId === undefined;
  const scope: TokenScope = zoneLevel
    ? { kind: 'zones', id: emulator.admin.zoneId }
    : { kind: 'accounts', id: emulator.admin.accountId };
  for (const policy of policies) {
    const id = policy.target.serviceTokenId;
    if (emulator.store.find(scope, id)) continue;
    emulator.seedToken({
      id,
      name: policy.id,
      duration: DEMO_TOKEN_DURATION,
      scope: zoneLevel ? 'zone' : 'account',
    });
  }
  return {
    description: `Cloudflare API emulator  ${emulator.client.baseUrl}  (${zoneLevel ? 'zone' : 'account'} ${scope.id})`,
    credentialOf: (policyId) => {
      const policy = policies.find((candidate) => candidate.id === policyId);
      const token = policy && emulator.store.find(scope, policy.target.serviceTokenId);
      if (!token) throw new Error(`the Cloudflare demo seeded no token for policy ${policyId}`);
      return {
        serviceTokenId: token.id,
        clientId: token.clientId,
        clientSecret: token.secret,
        expiresAt: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
      };
    },
    close: () => emulator.server.close(),
  };
}
