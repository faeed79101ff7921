import { randomBytes } from 'node:crypto';
import type { Emulator, EmulatorStartOptions, RunningEmulator } from '../../emulator-harness/emulator.js';
import type { EmulatorApi, EmulatorRequest, EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import { startEmulatorServer } from '../../emulator-harness/emulator-server.js';
import { isJsonObject, jsonBodyValue } from '../../emulator-harness/json-body.js';
import { systemClock } from '../../lib/clock.js';
import { createAccessToken, type MoovAccount, ping, revokeAccessToken } from './moov.emulator-routes.js';
import { MoovStore } from './moov.emulator-store.js';
import { genericError, json, malformedVersion, withRequestId } from './moov.emulator-wire.js';

export interface MoovEmulatorOptions extends EmulatorStartOptions {
  /** The API key; random per start when absent (the demo passes the connection's own). */
  readonly publicKey?: string;
  readonly secretKey?: string;
  /** Scopes the API key may request (default `DEFAULT_MOOV_SCOPES`). */
  readonly allowedScopes?: readonly string[];
  /** Refresh tokens work once (default true). */
  readonly singleUseRefreshTokens?: boolean;
  /** Revoking a refresh token revokes every token of its grant (default false). */
  readonly revokeWholeGrant?: boolean;
  /** Access-token lifetime (default 900 s). */
  readonly accessTokenTtlSeconds?: number;
  /** `expires_in` as a Unix timestamp (the current spec, default) or as seconds (older docs and SDKs). */
  readonly expiresIn?: 'timestamp' | 'seconds';
  /** The key's domain list: token calls and calls with its tokens must send a matching Origin or Referer. */
  readonly domains?: readonly string[];
}

export interface RunningMoovEmulator extends RunningEmulator {
  readonly store: MoovStore;
  readonly publicKey: string;
  readonly secretKey: string;
  readonly client: { readonly baseUrl: string; readonly publicKey: string; readonly secretKey: string };
}

export const DEFAULT_MOOV_SCOPES: readonly string[] = [
  '/accounts.read',
  '/accounts.write',
  '/ping.read',
  '/transfers.read',
  '/transfers.write',
];

/** Route ids, for faults and the call log (Moov's operationIds). */
export const MOOV_ROUTES = {
  token: 'createAccessToken',
  revoke: 'revokeAccessToken',
  ping: 'ping',
} as const;

type Handler = (account: MoovAccount, request: EmulatorRequest) => EmulatorResponse;

const routes: readonly { method: string; path: string; id: string; handle: Handler }[] = [
  { method: 'POST', path: '/oauth2/token', id: MOOV_ROUTES.token, handle: createAccessToken },
  { method: 'POST', path: '/oauth2/revoke', id: MOOV_ROUTES.revoke, handle: revokeAccessToken },
  { method: 'GET', path: '/ping', id: MOOV_ROUTES.ping, handle: ping },
];

/**
 * Moov's OAuth2 token and revoke endpoints and GET /ping, as documented: JSON or form bodies, Basic or body
 * credentials, both grants, scope checks, single-use refresh tokens, the Origin check of keys with a domain
 * list, X-Moov-Version, 400/401/422 bodies, 429 with Retry-After and X-Retry-In, x-request-id everywhere.
 * Control: `GET /__emulator/tokens` lists tokens by fingerprint with their state and the token call that
 * minted them (`issue`, shared by a pair); `POST /__emulator/tokens` with `{"scope": "…"}` mints a pair as an
 * operator would have (for seeding a refreshToken policy's secret).
 */
export async function startMoovEmulator(options: MoovEmulatorOptions = {}): Promise<RunningMoovEmulator> {
  const clock = options.clock ?? systemClock;
  const store = new MoovStore(clock, options.accessTokenTtlSeconds ?? 900);
  const account: MoovAccount = {
    publicKey: options.publicKey ?? `pk_${randomBytes(12).toString('hex')}`,
    secretKey: options.secretKey ?? `sk_${randomBytes(20).toString('hex')}`,
    allowedScopes: new Set(options.allowedScopes ?? DEFAULT_MOOV_SCOPES),
    domains: options.domains ?? [],
    singleUseRefreshTokens: options.singleUseRefreshTokens ?? true,
    revokeWholeGrant: options.revokeWholeGrant ?? false,
    expiresIn: options.expiresIn ?? 'timestamp',
    clock,
    store,
  };

  const api: EmulatorApi = {
    // "40 requests per second per account ID" (test accounts: 10; override the quota to emulate one).
    quotas: [{ name: 'api', routes: '*', requests: 40, perMs: 1_000, retryAfter: true }],
    resolve(request) {
      const route = routes.find((r) => r.method === request.method && r.path === request.path);
      if (!route) return undefined;
      return {
        routeId: route.id,
        handle: () => malformedVersion(request) ?? route.handle(account, request),
      };
    },
    errorResponse(status, retryAfterSeconds, message) {
      if (message !== undefined) return genericError(status, message);
      if (status === 429) {
        // Moov's docs name both headers: Retry-After in seconds, X-Retry-In in milliseconds.
        const wait = retryAfterSeconds ?? 1;
        return json(
          429,
          { error: 'rate limit exceeded' },
          { 'retry-after': String(wait), 'x-retry-in': String(wait * 1000) },
        );
      }
      if (status === 404) return genericError(404, 'not found');
      return genericError(status, status >= 500 ? 'internal server error' : 'request failed');
    },
    malformedResponse: () =>
      withRequestId({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"token_type":"Bearer","access_tok',
      }),
    control(request, name) {
      if (name !== 'tokens') return undefined;
      if (request.method === 'GET') return { status: 200, body: { tokens: store.list() } };
      if (request.method !== 'POST') return undefined;
      const scope = seedScope(request);
      if (scope === undefined)
        return { status: 400, body: { error: 'expected {"scope": "/a.read /b.write"}' } };
      const pair = store.mint(scope);
      return {
        status: 201,
        body: {
          access_token: pair.accessToken,
          refresh_token: pair.refreshToken,
          token_type: 'Bearer',
          scope: pair.scope,
          expires_at: new Date(pair.expiresAt).toISOString(),
        },
      };
    },
  };
  const server = await startEmulatorServer(api, options);
  const { publicKey, secretKey } = account;
  return { server, store, publicKey, secretKey, client: { baseUrl: server.origin, publicKey, secretKey } };
}

function seedScope(request: EmulatorRequest): string | undefined {
  const parsed = jsonBodyValue(request);
  const scope = isJsonObject(parsed) ? parsed.scope : undefined;
  return typeof scope === 'string' && /^\/\S+( \/\S+)*$/.test(scope) ? scope : undefined;
}

export const moovEmulator: Emulator = {
  name: 'moov',
  start: async (options) => {
    const { server, client } = await startMoovEmulator(options);
    return { server, client };
  },
};
