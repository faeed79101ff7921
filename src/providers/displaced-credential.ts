import { RotationError } from '../domain/errors.js';
import { fingerprint } from '../domain/ids.js';
import type { RevokeInput } from './provider.js';

/**
 * The displaced credential a revoke step acts on, for providers whose token is its own id: read back from
 * AWS by version id and checked against the handle (its fingerprint) recorded when it was issued.
 */
export function displacedCredential<Cred>(
  input: RevokeInput<unknown, unknown, Cred>,
  tokenOf: (credential: Cred) => string,
  vendor: string,
): Cred {
  const displaced = input.credential?.reveal();
  if (!displaced) {
    // Not 'not-found': that would count as already revoked, while the token may well be live.
    throw new RotationError(
      'protocol',
      `the displaced credential is no longer in AWS Secrets Manager, so rotor cannot name it to ${vendor}; revoke it by hand`,
    );
  }
  if (fingerprint(tokenOf(displaced)) !== input.handle) {
    throw new RotationError(
      'protocol',
      'the version read back from AWS does not hold the displaced credential',
    );
  }
  return displaced;
}
