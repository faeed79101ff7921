import type { PolicyConfig } from '../config/rotor-config.js';
import { isRotationError, RotationError } from '../domain/errors.js';
import type { Secret } from '../domain/secret.js';
import type { StepContext } from '../providers/provider.js';
import type { SecretSink } from '../sinks/sink.js';
import { decodeCredential } from './credential-codec.js';

export interface RevokeRequest {
  readonly policy: PolicyConfig;
  readonly handle: string;
  /** The sink version that held the displaced credential (read back for providers whose token is its id). */
  readonly versionId: string;
}

/**
 * Revokes a credential a rotation displaced, once its grace period is over. Idempotent: a credential the
 * vendor no longer knows counts as revoked.
 */
export async function revokeDisplaced(
  deps: { readonly sink: SecretSink },
  request: RevokeRequest,
  ctx: StepContext,
): Promise<'revoked' | 'already-gone'> {
  const { policy } = request;
  const provider = policy.connection.provider;
  if (!provider.revoke) {
    throw new RotationError(
      'invalid-config',
      `policy ${policy.id}: provider ${provider.id} cannot revoke credentials`,
      {
        policyId: policy.id,
        step: 'revoke',
      },
    );
  }
  try {
    const target = { secretId: policy.secret.id, policyId: policy.id, adopt: policy.secret.adopt };
    const stored = await deps.sink.read(target, { versionId: request.versionId }, ctx.signal);
    const credential: Secret<unknown> | undefined = stored
      ? decodeCredential(stored, provider.schemas.credential, {
          policyId: policy.id,
          secretId: target.secretId,
          version: 'displaced',
        })
      : undefined;
    return await provider.revoke(
      { connection: policy.connection.settings, target: policy.target, handle: request.handle, credential },
      ctx,
    );
  } catch (error) {
    if (isRotationError(error) && error.kind === 'not-found') return 'already-gone';
    throw isRotationError(error) ? error.within({ policyId: policy.id, step: 'revoke' }) : error;
  }
}
