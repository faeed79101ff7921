import type { PolicyConfig } from '../config/rotor-config.js';
import type { Secret } from '../domain/secret.js';
import type { StepContext } from '../providers/provider.js';

/**
 * Checks a credential the way a rotation checks the one it issued: against the vendor (or the protected
 * endpoint the policy's `verify` names). Resolves with a note when the check was less than end-to-end (the
 * provider cannot verify, or could only read the credential's metadata); fails with the vendor's refusal.
 */
export async function verifyCredential(
  policy: PolicyConfig,
  credential: Secret<unknown>,
  handle: string,
  ctx: StepContext,
): Promise<string | undefined> {
  const provider = policy.connection.provider;
  if (!provider.verify) return 'the provider offers no verification';
  const outcome = await provider.verify(
    {
      connection: policy.connection.settings,
      target: policy.target,
      credential,
      handle,
      settings: policy.verify,
    },
    ctx,
  );
  return outcome.kind === 'metadata'
    ? `metadata only, end-to-end verification is off: ${outcome.reason}`
    : undefined;
}
