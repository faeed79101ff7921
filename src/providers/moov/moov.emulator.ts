import { randomBytes, randomUUID } from 'node:crypto';
import type { Emulator, EmulatorStartOptions, RunningEmulator } from '../../emulation/emulator.js';
import type { EmulatorApi, EmulatorRequest, EmulatorResponse } from '../../emulation/emulator-http.js';
import { startEmulatorServer } from '../../emulation/emulator-server.js';
import { systemClock } from '../../lib/clock.js';
import { MoovStore } from './moov.emulator-store.js';

export interface MoovEmulatorOptions extends EmulatorStartOptions {
  readonly publicKey?: string;
  readonly secretKey?: string;
  /** Scopes the API key may request. */
  readonly allowedScopes?: readonly string[];
  /** Refresh tokens work once (default true). */
  readonly singleUseRefreshTokens?: boolean;
  readonly accessTokenTtlSeconds?: number;
  /** `expires_in` as a Unix timestamp (the current spec, default) or as seconds. */
  readonly expiresIn?: 'timestamp' | 'seconds';
  /** The key's domain list: token calls must send a matching Origin or Referer. Empty: no check. */
  readonly domains?: readonly string[];
}

export interface RunningMoovEmulator extends RunningEmulator {
  readonly store: MoovStore;
  readonly publicKey: string;
  readonly secretKey: string;
}

export const DEFAULT_MOOV_SCOPES = [
  '/accounts.read',
  '/accounts.write',
  '/ping.read',
  '/transfers.read',
  '/transfers.write',
];

const json = (status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'x-request-id': randomUUID(), ...headers },
  body,
});

/** JSON or form bodies, as the OpenAPI document allows both. */
function bodyOf(request: EmulatorRequest): Record<string, string> | undefined {
  const text = request.body.toString('utf8');
  const type = request.headers['content-type'] ?? '';
  if (type.startsWith('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(text));
  if (!type.startsWith('application/json')) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  } catch {
    return undefined;
  }
}

function basicPair(request: EmulatorRequest): [string, string] | undefined {
  const header = request.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  return at < 0 ? undefined : [decoded.slice(0, at), decoded.slice(at + 1)];
}

/**
 * Moov's OAuth2 token and revoke endpoints (JSON or form, Basic or body credentials, both grants, scope
 * checks, single-use refresh tokens) and GET /ping, with the documented error bodies.
 */
export async function startMoovEmulator(options: MoovEmulatorOptions = {}): Promise<RunningMoovEmulator> {
  const clock = options.clock ?? systemClock;
  const publicKey = options.publicKey ?? `pk_${randomBytes(12).toString('hex')}`;
  const secretKey = options.secretKey ?? `sk_${randomBytes(20).toString('hex')}`;
  const allowed = new Set(options.allowedScopes ?? DEFAULT_MOOV_SCOPES);
  const store = new MoovStore(clock, options.accessTokenTtlSeconds ?? 900);
  const singleUse = options.singleUseRefreshTokens ?? true;

  /** The API key from Basic auth or the body; undefined when it is missing or wrong. */
  const authenticated = (request: EmulatorRequest, body: Record<string, string>): boolean => {
    const [id, secret] = basicPair(request) ?? [body.client_id, body.client_secret];
    return id === publicKey && secret === secretKey;
  };
  const originAllowed = (request: EmulatorRequest): boolean => {
    if (!options.domains || options.domains.length === 0) return true;
    const source = request.headers.origin ?? request.headers.referer;
    if (!source) return false;
    try {
      return options.domains.includes(new URL(source).hostname);
    } catch {
      return false;
    }
  };
  const tokenResponse = (pair: ReturnType<MoovStore['mint']>) =>
    json(200, {
      token_type: 'Bearer',
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
      expires_in:
        options.expiresIn === 'seconds'
          ? Math.round((pair.expiresAt - clock.now()) / 1000)
          : Math.floor(pair.expiresAt / 1000),
      scope: pair.scope,
    });

  function token(request: EmulatorRequest): EmulatorResponse {
    const body = bodyOf(request);
    if (!body) return json(400, { error: 'invalid_request' });
    if (!authenticated(request, body)) return json(401, { error: 'invalid_client' });
    if (!originAllowed(request)) return json(403, { error: 'origin is not in the API key domain list' });
    if (body.grant_type === 'client_credentials') {
      const scopes = (body.scope ?? '').split(' ').filter(Boolean);
      if (scopes.length === 0) return json(422, { scope: 'scope is required for client_credentials' });
      const refused = scopes.find((scope) => !allowed.has(scope));
      if (refused) return json(422, { scope: `scope ${refused} is not allowed for this API key` });
      return tokenResponse(store.mint(scopes.join(' ')));
    }
    if (body.grant_type === 'refresh_token') {
      if (!body.refresh_token) return json(422, { refresh_token: 'refresh_token is required' });
      const scope = store.redeem(body.refresh_token, singleUse);
      if (scope === undefined) return json(400, { error: 'invalid_grant' });
      return tokenResponse(store.mint(scope));
    }
    return json(400, { error: 'unsupported_grant_type' });
  }

  function revoke(request: EmulatorRequest): EmulatorResponse {
    const body = bodyOf(request);
    if (!body) return json(400, { error: 'invalid_request' });
    if (!authenticated(request, body)) return json(401, { error: 'invalid_client' });
    if (!body.token) return json(422, { token: 'token is required' });
    if (
      body.token_type_hint !== undefined &&
      !['access_token', 'refresh_token'].includes(body.token_type_hint)
    ) {
      return json(422, { token_type_hint: 'expected access_token or refresh_token' });
    }
    store.revoke(body.token);
    return { status: 204, headers: { 'x-request-id': randomUUID() } };
  }

  function ping(request: EmulatorRequest): EmulatorResponse {
    const header = request.headers.authorization ?? '';
    if (header.startsWith('Bearer ')) {
      const state = store.accessTokenState(header.slice(7));
      if (!state?.live) return json(401, { error: 'invalid or expired access token' });
      if (!state.scope.split(' ').includes('/ping.read'))
        return json(403, { error: 'the token lacks /ping.read' });
      return { status: 200, headers: { 'x-request-id': randomUUID() } };
    }
    const pair = basicPair(request);
    if (pair?.[0] !== publicKey || pair[1] !== secretKey) return json(401, { error: 'unauthenticated' });
    return { status: 200, headers: { 'x-request-id': randomUUID() } };
  }

  const api: EmulatorApi = {
    resolve(request) {
      if (request.method === 'POST' && request.path === '/oauth2/token')
        return { routeId: 'createAccessToken', handle: () => token(request) };
      if (request.method === 'POST' && request.path === '/oauth2/revoke')
        return { routeId: 'revokeAccessToken', handle: () => revoke(request) };
      if (request.method === 'GET' && request.path === '/ping')
        return { routeId: 'ping', handle: () => ping(request) };
      return undefined;
    },
    errorResponse(status, retryAfterSeconds) {
      if (status === 429) {
        const wait = retryAfterSeconds ?? 1;
        return json(
          429,
          { error: 'rate limit exceeded' },
          { 'retry-after': String(wait), 'x-retry-in': String(wait * 1000) },
        );
      }
      return json(status, { error: status >= 500 ? 'internal server error' : 'request failed' });
    },
    malformedResponse: () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"token_type":"Bearer","access_tok',
    }),
  };
  const server = await startEmulatorServer(api, options);
  return { server, store, publicKey, secretKey, client: { baseUrl: server.origin, publicKey, secretKey } };
}

export const moovEmulator: Emulator = {
  name: 'moov',
  start: async (options) => {
    const { server, client } = await startMoovEmulator(options);
    return { server, client };
  },
};
