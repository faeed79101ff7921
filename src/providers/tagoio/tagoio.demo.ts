import type { Resolved } from '../../domain/secret-reference.js';
import { listenAddressOf } from '../../emulation/listen-address.js';
import type { DemoEmulator, DemoPolicy } from '../provider.js';
import { apiBaseUrl } from './tagoio.api.js';
import { startTagoioEmulator } from './tagoio.emulator.js';
import type { TagoioConnectionConfig, TagoioCredential, TagoioTarget } from './tagoio.schemas.js';

/** The TagoIO emulator where the connection points, admitting its profile token; a token per policy. */
export async function startTagoioDemo(
  connection: Resolved<TagoioConnectionConfig>,
  policies: readonly DemoPolicy<TagoioTarget>[],
): Promise<DemoEmulator<TagoioCredential>> {
  const emulator = await startTagoioEmulator({
    ...listenAddressOf(apiBaseUrl(connection), 'TagoIO'),
    token: connection.token.reveal(),
  });
  const seeded = new Map(
    policies.map((policy) => {
      const token = emulator.store.create({
        name: policy.target.name,
        permission: policy.target.permission,
        expireTime: 'never',
      });
      return [policy.id, token] as const;
    }),
  );
  return {
    description: `TagoIO API emulator  ${emulator.server.origin}`,
    credentialOf: (policyId) => {
      const token = seeded.get(policyId);
      if (!token) throw new Error(`the TagoIO demo seeded no token for policy ${policyId}`);
      return { token: token.token, name: token.name, permission: token.permission, expireTime: null };
    },
    close: () => emulator.server.close(),
  };
}
