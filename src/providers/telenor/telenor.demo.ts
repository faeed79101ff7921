import type { Resolved } from '../../domain/secret-reference.js';
import { listenAddressOf } from '../../emulator-harness/listen-address.js';
import type { DemoEmulator, DemoPolicy } from '../provider.js';
import { startTelenorEmulator } from './telenor.emulator.js';
import type { TelenorConnectionConfig, TelenorCredential, TelenorTarget } from './telenor.schemas.js';

/** The Telenor emulator where the connection points, admitting its session; a token per policy. */
export async function startTelenorDemo(
  connection: Resolved<TelenorConnectionConfig>,
  policies: readonly DemoPolicy<TelenorTarget>[],
): Promise<DemoEmulator<TelenorCredential>> {
  const emulator = await startTelenorEmulator({
    ...listenAddressOf(connection.baseUrl, 'Telenor'),
    ...(connection.session === undefined ? {} : { session: connection.session.reveal() }),
    ...(connection.apiToken === undefined ? {} : { apiToken: connection.apiToken.reveal() }),
    apiTokensManageTokens: connection.session === undefined,
  });
  const seeded = new Map(
    policies.map((policy) => {
      const token = emulator.store.create({
        resource: policy.target.resource ?? '/',
        write: policy.target.write ?? false,
        tags: { ...policy.target.tags, name: policy.id },
      });
      return [policy.id, token] as const;
    }),
  );
  return {
    description: `Telenor NB-IoT API emulator  ${emulator.server.origin}`,
    credentialOf: (policyId) => {
      const token = seeded.get(policyId);
      if (!token) throw new Error(`the Telenor demo seeded no token for policy ${policyId}`);
      return { token: token.token, resource: token.resource, write: token.write, tags: { ...token.tags } };
    },
    close: () => emulator.server.close(),
  };
}
