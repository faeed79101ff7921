import type { Resolved } from '../../domain/secret-reference.js';
import { listenAddressOf } from '../../emulator-harness/listen-address.js';
import type { DemoEmulator, DemoPolicy } from '../provider.js';
import { DEFAULT_MOOV_SCOPES, startMoovEmulator } from './moov.emulator.js';
import { type MoovConnectionConfig, type MoovCredential, type MoovTarget, scopesOf } from './moov.schemas.js';

/**
 * The Moov emulator where the connection points, admitting its API key (and its Origin, when one is set)
 * and every scope the demo policies ask for; `credentialOf` mints a fresh pair for a policy's scope.
 */
export async function startMoovDemo(
  connection: Resolved<MoovConnectionConfig>,
  policies: readonly DemoPolicy<MoovTarget>[],
): Promise<DemoEmulator<MoovCredential>> {
  const scopes = new Set(DEFAULT_MOOV_SCOPES);
  for (const policy of policies) for (const scope of scopesOf(policy.target.scope)) scopes.add(scope);
  const emulator = await startMoovEmulator({
    ...listenAddressOf(connection.baseUrl, 'Moov'),
    publicKey: connection.publicKey.reveal(),
    secretKey: connection.secretKey.reveal(),
    allowedScopes: [...scopes],
    ...(connection.origin === undefined ? {} : { domains: [new URL(connection.origin).hostname] }),
  });
  return {
    description: `Moov API emulator  ${emulator.server.origin}`,
    credentialOf: (policyId) => {
      const policy = policies.find((candidate) => candidate.id === policyId);
      if (!policy) throw new Error(`the Moov demo has no policy ${policyId}`);
      const pair = emulator.store.mint(policy.target.scope);
      return {
        access_token: pair.accessToken,
        refresh_token: pair.refreshToken,
        token_type: 'Bearer',
        scope: pair.scope,
        expires_at: new Date(pair.expiresAt).toISOString(),
      };
    },
    close: () => emulator.server.close(),
  };
}
