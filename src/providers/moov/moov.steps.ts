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
import { type MoovConnectionConfig, type MoovCredential, type MoovTarget, scopesOf } from './moov.schemas.js';
import { type AuthToken, expiryOf } from './moov.wire.js';

type Conn = Resolved<MoovConnectionConfig>;
type Input = IssueInput<Conn, MoovTarget, MoovCredential>;

const PING_SCOPE = '/ping.read';

/** The scopes of `wanted` that `granted` lacks. */
function missingScopes(granted: string, wanted: string): string[] {
  const have = scopesOf(granted);
  return [...scopesOf(wanted)].filter((scope) => !have.has(scope));
}

function issued(token: AuthToken, ctx: StepContext, wantedScope: string): Issued<MoovCredential> {
  const missing = missingScopes(token.scope, wantedScope);
  if (missing.length > 0) {
    // Stored all the same: the pair is live, and dropping it would leave it unrevoked. Verify says more.
    ctx.log.warn({ missing }, 'Moov granted the new token fewer scopes than the policy asks for');
  }
  const expiresAt = expiryOf(token.expires_in, ctx.clock.now());
  const credential: MoovCredential = {
    access_token: token.access_token,
    refresh_token: token.refresh_token,
    token_type: token.token_type,
    scope: token.scope,
    expires_at: expiresAt.toISOString(),
  };
  return { credential: Secret.of(credential), handle: fingerprint(token.access_token), expiresAt };
}

async function mintWithClientCredentials(
  api: MoovAuthApi,
  input: Input,
  ctx: StepContext,
): Promise<Issued<MoovCredential>> {
  return issued(await api.clientCredentials(input.target.scope), ctx, input.target.scope);
}

/** A new token pair with the target's scope, minted from the API key. */
export function issueWithClientCredentials(input: Input, ctx: StepContext): Promise<Issued<MoovCredential>> {
  return mintWithClientCredentials(new MoovAuthApi(input.connection, ctx), input, ctx);
}

/**
 * Moov refused the refresh token itself (used, revoked, expired, unknown: 400 such as `invalid_grant`, or a
 * 422 field message), not the API key (401/403), the path (404) or the service (429/5xx).
 */
function refusedRefreshToken(error: unknown): error is RotationError {
  return isRotationError(error) && (error.details.status === 400 || error.details.status === 422);
}

/**
 * The next pair from the refresh token in the current AWS secret. With nothing stored yet, or a stored pair
 * without the scopes the target now asks for, the pair is minted with client_credentials (a refresh keeps
 * the old grant's scope). When Moov refuses the stored refresh token, falls back to client_credentials if
 * the target allows it; otherwise fails as an auth error, so the alert fires and the current token stays.
 */
export async function issueWithRefreshToken(input: Input, ctx: StepContext): Promise<Issued<MoovCredential>> {
  const api = new MoovAuthApi(input.connection, ctx);
  const current = input.current?.reveal();
  if (!current) {
    ctx.log.info('no Moov token pair stored yet: minting the first one with client_credentials');
    return mintWithClientCredentials(api, input, ctx);
  }
  const missing = missingScopes(current.scope, input.target.scope);
  if (missing.length > 0) {
    ctx.log.warn(
      { missing },
      'the stored Moov token pair lacks scopes the target asks for, and a refresh keeps its scope: minting with client_credentials',
    );
    return mintWithClientCredentials(api, input, ctx);
  }
  try {
    return issued(await api.refresh(current.refresh_token), ctx, input.target.scope);
  } catch (error) {
    if (!refusedRefreshToken(error)) throw error;
    if (input.target.fallbackToClientCredentials) {
      ctx.log.warn(
        { reason: error.message },
        'Moov refused the stored refresh token; minting a new pair with client_credentials (target.fallbackToClientCredentials)',
      );
      return mintWithClientCredentials(api, input, ctx);
    }
    throw new RotationError(
      'auth',
      `Moov refused the stored refresh token (${error.message}); no new token was issued and the current access token stays in place until it expires at ${current.expires_at}. Set target.fallbackToClientCredentials: true to mint a new pair instead, or rotate with action clientCredentials`,
      error.details,
    );
  }
}

/**
 * An authenticated read with the new access token: GET /ping. 2xx is end to end; 401/403 fail as auth.
 * A token whose scope has no /ping.read may not read /ping: its 403 proves only that Moov knows it.
 */
export async function verifyAccessToken(
  input: VerifyInput<Conn, MoovTarget, MoovCredential, never>,
  ctx: StepContext,
): Promise<VerifyOutcome> {
  const credential = input.credential.reveal();
  try {
    await new MoovAuthApi(input.connection, ctx).ping(credential.access_token);
    return { kind: 'end-to-end' };
  } catch (error) {
    const readsPing = scopesOf(credential.scope).has(PING_SCOPE);
    if (isRotationError(error) && error.details.status === 403 && !readsPing) {
      return {
        kind: 'metadata',
        reason: `the token's scope has no ${PING_SCOPE}, so GET /ping answered 403: Moov recognised the token, but no read with it was possible (add ${PING_SCOPE} to the scope for end-to-end verification)`,
      };
    }
    throw error;
  }
}

/**
 * Whether Moov no longer accepts an access token: expired by its own expiry, or refused by GET /ping
 * with 401. Anything else (accepted, 403 for a token without /ping.read, a failed probe) counts as live.
 */
async function accessTokenGone(api: MoovAuthApi, credential: MoovCredential, ctx: StepContext) {
  if (Date.parse(credential.expires_at) <= ctx.clock.now()) return true;
  try {
    await api.ping(credential.access_token);
    return false;
  } catch (error) {
    if (!isRotationError(error)) throw error;
    if (error.details.status === 401) return true;
    ctx.log.debug({ reason: error.message }, 'could not tell whether the displaced Moov token is live');
    return false;
  }
}

/**
 * Revokes the displaced pair, read back from AWS: its access token, and its refresh token unless the target
 * says not to. Moov answers 204 whether or not it knew a token, so 'already-gone' is reported only when the
 * access token was already unusable and nothing else was revoked; the revoke calls are made either way.
 */
export async function revokeTokenPair(
  input: RevokeInput<Conn, MoovTarget, MoovCredential>,
  ctx: StepContext,
): Promise<'revoked' | 'already-gone'> {
  const displaced = displacedCredential(input, (credential) => credential.access_token, 'Moov');
  const api = new MoovAuthApi(input.connection, ctx);
  const gone = await accessTokenGone(api, displaced, ctx);
  await api.revoke(displaced.access_token, 'access_token');
  if (input.target.revokeRefreshToken) await api.revoke(displaced.refresh_token, 'refresh_token');
  return gone && !input.target.revokeRefreshToken ? 'already-gone' : 'revoked';
}

/**
 * Read-only: GET /ping with the API key proves the key (and its Origin, if any) without minting a token.
 * Whether the key may grant the target's scopes shows only on the first token call.
 */
export async function preflightApiKey(input: PolicyInput<Conn, MoovTarget>, ctx: StepContext): Promise<void> {
  await new MoovAuthApi(input.connection, ctx).ping();
}
