import type { EmulatorRequest, EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import type { Clock } from '../../lib/clock.js';
import type { MintedPair, MoovStore } from './moov.emulator-store.js';
import {
  basicPair,
  bearerToken,
  bodyOf,
  fieldError,
  genericError,
  json,
  noContent,
  withRequestId,
} from './moov.emulator-wire.js';

/** The emulated Moov account: its one API key and how its token endpoints behave. */
export interface MoovAccount {
  readonly publicKey: string;
  readonly secretKey: string;
  /** Scopes the key may request. */
  readonly allowedScopes: ReadonlySet<string>;
  /** The key's domain list; empty: no Origin check. */
  readonly domains: readonly string[];
  readonly singleUseRefreshTokens: boolean;
  /** Revoking a refresh token revokes its whole grant (every pair refreshed from the same first one). */
  readonly revokeWholeGrant: boolean;
  readonly expiresIn: 'timestamp' | 'seconds';
  readonly clock: Clock;
  readonly store: MoovStore;
}

const MAX_TOKEN_LENGTH = 4096;
const PING_SCOPE = '/ping.read';

const scopeList = (scope: string | undefined) => (scope ?? '').split(' ').filter((part) => part !== '');

/** The API key from Basic auth, else from the body (`client_id`/`client_secret`): whether it is this key. */
function keyMatches(account: MoovAccount, request: EmulatorRequest, body: Record<string, string>): boolean {
  const [id, secret] = basicPair(request) ?? [body.client_id, body.client_secret];
  return id === account.publicKey && secret === account.secretKey;
}

/** For keys with a domain list: the Origin (or Referer) must name one of its domains. */
function originAllowed(account: MoovAccount, request: EmulatorRequest): boolean {
  if (account.domains.length === 0) return true;
  const source = request.headers.origin ?? request.headers.referer;
  if (!source) return false;
  try {
    return account.domains.includes(new URL(source).hostname);
  } catch {
    return false;
  }
}

const refusedOrigin = () => genericError(403, 'the request origin is not in the API key domain list');

function tokenResponse(account: MoovAccount, pair: MintedPair): EmulatorResponse {
  const expiresIn =
    account.expiresIn === 'seconds'
      ? Math.round((pair.expiresAt - account.clock.now()) / 1000)
      : Math.floor(pair.expiresAt / 1000);
  return json(200, {
    token_type: 'Bearer',
    access_token: pair.accessToken,
    refresh_token: pair.refreshToken,
    expires_in: expiresIn,
    scope: pair.scope,
  });
}

function clientCredentials(account: MoovAccount, body: Record<string, string>): EmulatorResponse {
  const scopes = scopeList(body.scope);
  if (scopes.length === 0)
    return fieldError('scope', 'scope is required when grant_type is client_credentials');
  const refused = scopes.find((scope) => !account.allowedScopes.has(scope));
  if (refused) return fieldError('scope', `scope ${refused} is not allowed for this API key`);
  return tokenResponse(account, account.store.mint(scopes.join(' ')));
}

function refreshToken(account: MoovAccount, body: Record<string, string>): EmulatorResponse {
  const token = body.refresh_token;
  if (!token)
    return fieldError('refresh_token', 'refresh_token is required when grant_type is refresh_token');
  if (token.length > MAX_TOKEN_LENGTH) return fieldError('refresh_token', 'refresh_token is too long');
  const grant = account.store.redeem(token, account.singleUseRefreshTokens);
  if (!grant) return genericError(400, 'invalid_grant');
  // A refresh may narrow the grant's scope, never widen it (RFC 6749 §6).
  const granted = new Set(scopeList(grant.scope));
  const asked = scopeList(body.scope);
  const wider = asked.find((scope) => !granted.has(scope));
  if (wider) return fieldError('scope', `scope ${wider} was not granted to this refresh token`);
  return tokenResponse(
    account,
    account.store.mint(asked.length > 0 ? asked.join(' ') : grant.scope, grant.grant),
  );
}

/** POST /oauth2/token: client_credentials or refresh_token, JSON or form, Basic or body credentials. */
export function createAccessToken(account: MoovAccount, request: EmulatorRequest): EmulatorResponse {
  const body = bodyOf(request);
  if (!body) return genericError(400, 'invalid_request');
  if (!keyMatches(account, request, body)) return genericError(401, 'invalid_client');
  if (!originAllowed(account, request)) return refusedOrigin();
  if (body.grant_type === 'client_credentials') return clientCredentials(account, body);
  if (body.grant_type === 'refresh_token') return refreshToken(account, body);
  return genericError(400, body.grant_type === undefined ? 'invalid_request' : 'unsupported_grant_type');
}

/** POST /oauth2/revoke (RFC 7009): 204 whether or not the token was known. */
export function revokeAccessToken(account: MoovAccount, request: EmulatorRequest): EmulatorResponse {
  const body = bodyOf(request);
  if (!body) return genericError(400, 'invalid_request');
  if (!keyMatches(account, request, body)) return genericError(401, 'invalid_client');
  if (!body.token) return fieldError('token', 'token is required');
  const hint = body.token_type_hint;
  if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token')
    return fieldError('token_type_hint', 'token_type_hint must be access_token or refresh_token');
  account.store.revoke(body.token, account.revokeWholeGrant);
  return noContent();
}

/**
 * GET /ping: the API key, or a live access token with /ping.read (sent from an allowed Origin when the key
 * has a domain list). Revoked, expired and unknown tokens get 401.
 */
export function ping(account: MoovAccount, request: EmulatorRequest): EmulatorResponse {
  const token = bearerToken(request);
  if (token !== undefined) {
    const state = account.store.accessTokenState(token);
    if (!state?.live) return genericError(401, 'invalid or expired access token');
    if (!originAllowed(account, request)) return refusedOrigin();
    if (!scopeList(state.scope).includes(PING_SCOPE))
      return genericError(403, `the access token lacks the ${PING_SCOPE} scope`);
    return withRequestId({ status: 200 });
  }
  const pair = basicPair(request);
  if (pair?.[0] !== account.publicKey || pair[1] !== account.secretKey)
    return genericError(401, 'unauthenticated');
  return withRequestId({ status: 200 });
}
