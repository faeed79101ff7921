import type { Resolved } from '../../domain/secret-reference.js';
import { listenAddressOf } from '../../emulator-harness/listen-address.js';
import type { DemoEmulator, DemoPolicy } from '../provider.js';
import { apiBaseUrl } from './tagoio.api.js';
import { startTagoioEmulator } from './tagoio.emulator.js';
import type { TagoioConnectionConfig, TagoioCredential, TagoioTarget } from './tagoio.schemas.js';

/**
 * The TagoIO emulator where the connection points (its base URL's port), admitting the connection's own
 * profile token, with a token per policy as an operator would have made it before rotor took over: the
 * target's name (no rotor marker), permission, verification code and expiry.
 */
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
      const { target } = policy;
      const expireTime =
        target.expireTime === 'never' ? 'never' : new Date(Date.now() + target.expireTime).toISOString();
      const made = emulator.store.create({
        name: target.name,
        permission: target.permission,
        expireTime,
        verificationCode: target.verificationCode,
      });
      const credential: TagoioCredential = {
        token: made.token,
        name: made.name,
        permission: made.permission,
        expireTime: expireTime === 'never' ? null : expireTime,
      };
      return [policy.id, credential] as const;
    }),
  );
  return {
    description: `TagoIO API emulator  ${emulator.server.origin}`,
    credentialOf: (policyId) => {
      const credential = seeded.get(policyId);
      if (!credential) throw new Error(`the TagoIO demo seeded no token for policy ${policyId}`);
      return credential;
    },
    close: () => emulator.server.close(),
  };
}
