import { isRotationError, RotationError } from '../../domain/errors.js';
import { fingerprint } from '../../domain/ids.js';
import { Secret } from '../../domain/secret.js';
import type { Resolved } from '../../domain/secret-reference.js';
import { displacedCredential } from '../displaced-credential.js';
import type {
  Issued,
  IssueInput,
  PolicyInput,
  RevokeInput,
  StepContext,
  VerifyInput,
  VerifyOutcome,
} from '../provider.js';
import { MoovAuthApi } from './moov.api.js';
import type { MoovConnectionConfig, MoovCredential, MoovTarget } from './moov.schemas.js';
import { type AuthToken, expiryOf } from './moov.wire.js';

type Conn = Resolved<MoovConnectionConfig>;
type Input = IssueInput<Conn, MoovTarget, MoovCredential>;

function issued(token: AuthToken, nowMs: number): Issued<MoovCredential> {
  const expiresAt = expiryOf(token.expires_in, nowMs);
  const credential: MoovCredential = {
    access_token: token.access_token,
    refresh_token: token.refresh_token,
    token_type: token.token_type,
    scope: token.scope,
    expires_at: expiresAt.toISOString(),
  };
  return { credential: Secret.of(credential), handle: fingerprint(token.access_token), expiresAt };
}

/** A new token pair with the target's scope, minted from the API key. */
export async function issueWithClientCredentials(
  input: Input,
  ctx: StepContext,
): Promise<Issued<MoovCredential>> {
  const token = await new MoovAuthApi(input.connection, ctx).clientCredentials(input.target.scope);
  return issued(token, ctx.clock.now());
}

/** Moov refused the refresh token itself (used, revoked, expired, unknown), not the API key or the service. */
function refusedRefreshToken(error: unknown): error is RotationError {
  return isRotationError(error) && (error.details.status === 400 || error.details.status === 422);
}

/**
 * The next pair from the refresh token in the current AWS secret. When Moov refuses that refresh token,
 * falls back to client_credentials if the policy allows it; otherwise fails as an auth error, so the
 * alert fires and the current token stays in place.
 */
export async function issueWithRefreshToken(input: Input, ctx: StepContext): Promise<Issued<MoovCredential>> {
  const api = new MoovAuthApi(input.connection, ctx);
  const current = input.current?.reveal();
  if (!current) {
    if (input.target.fallbackToClientCredentials)
      return issued(await api.clientCredentials(input.target.scope), ctx.clock.now());
    throw new RotationError(
      'invalid-config',
      'the AWS secret holds no Moov token pair to refresh; rotate once with clientCredentials or set target.fallbackToClientCredentials',
    );
  }
  try {
    return issued(await api.refresh(current.refresh_token), ctx.clock.now());
  } catch (error) {
    if (!refusedRefreshToken(error)) throw error;
    if (input.target.fallbackToClientCredentials) {
      ctx.log.warn(
        { reason: error.message },
        'Moov refused the stored refresh token; minting a new pair with client_credentials',
      );
      return issued(await api.clientCredentials(input.target.scope), ctx.clock.now());
    }
    throw new RotationError(
      'auth',
      `Moov refused the stored refresh token (${error.message}); the current token stays in place until it expires — rotate with clientCredentials or set target.fallbackToClientCredentials`,
      error.details,
    );
  }
}

/** An authenticated read with the new access token: GET /ping (403 means valid but without /ping.read). */
export async function verifyAccessToken(
  input: VerifyInput<Conn, MoovTarget, MoovCredential, never>,
  ctx: StepContext,
): Promise<VerifyOutcome> {
  try {
    await new MoovAuthApi(input.connection, ctx).ping(input.credential.reveal().access_token);
  } catch (error) {
    if (!(isRotationError(error) && error.details.status === 403)) throw error;
  }
  return { kind: 'end-to-end' };
}

/** Revokes the displaced pair (access and refresh token), read back from AWS. Moov answers 204 either way. */
export async function revokeTokenPair(
  input: RevokeInput<Conn, MoovTarget, MoovCredential>,
  ctx: StepContext,
): Promise<'revoked' | 'already-gone'> {
  const displaced = displacedCredential(input, (credential) => credential.access_token, 'Moov');
  const api = new MoovAuthApi(input.connection, ctx);
  await api.revoke(displaced.access_token, 'access_token');
  await api.revoke(displaced.refresh_token, 'refresh_token');
  return 'revoked';
}

/** Read-only: GET /ping with the API key proves the key (and its Origin, if any). */
export async function preflightApiKey(input: PolicyInput<Conn, MoovTarget>, ctx: StepContext): Promise<void> {
  await new MoovAuthApi(input.connection, ctx).ping();
}
