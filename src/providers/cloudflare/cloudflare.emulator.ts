import { randomBytes } from 'node:crypto';
import type { Emulator, EmulatorStartOptions, RunningEmulator } from '../../emulator-harness/emulator.js';
import type {
  EmulatorApi,
  EmulatorRequest,
  EmulatorResponse,
  PathRoute,
} from '../../emulator-harness/emulator-http.js';
import { pathRouter } from '../../emulator-harness/emulator-http.js';
import { startEmulatorServer } from '../../emulator-harness/emulator-server.js';
import { readJsonBody } from '../../emulator-harness/json-body.js';
import { systemClock } from '../../lib/clock.js';
import { accessGate } from './cloudflare.emulator-access.js';
import {
  type AdminCredentials,
  authorize,
  createToken,
  listTokens,
  rotateToken,
  updateToken,
} from './cloudflare.emulator-api.js';
import {
  CloudflareStore,
  parseGoDuration,
  type StoredToken,
  type TokenScope,
} from './cloudflare.emulator-store.js';
import { fail, notFound, ok, tokenView } from './cloudflare.emulator-wire.js';

export interface RunningCloudflareEmulator extends RunningEmulator {
  readonly store: CloudflareStore;
  readonly admin: AdminCredentials;
  /** Seeds a service token as an operator would have made it; returns what its creator sees once. */
  seedToken(input: { name: string; duration?: string; scope?: 'account' | 'zone'; id?: string }): {
    id: string;
    clientId: string;
    clientSecret: string;
  };
}

export interface CloudflareEmulatorOptions extends EmulatorStartOptions {
  /** Random per start when absent; fixed values let a config file name the account (the demo does). */
  readonly accountId?: string;
  readonly zoneId?: string;
  readonly apiToken?: string;
  readonly email?: string;
  readonly apiKey?: string;
}

const V4 = '/client/v4';
const BASE = `${V4}/:scopeKind/:scopeId/access/service_tokens`;
type Params = 'scopeKind' | 'scopeId' | 'tokenId';

function scopeOf(params: Record<string, string>): TokenScope | undefined {
  const kind = params.scopeKind;
  return (kind === 'accounts' || kind === 'zones') && params.scopeId
    ? { kind, id: params.scopeId }
    : undefined;
}

/**
 * Cloudflare's v4 API for Access service tokens (account and zone scope), with its auth schemes, envelope,
 * pagination and errors, plus an Access-protected application under `/access/`.
 */
export async function startCloudflareEmulator(
  options: CloudflareEmulatorOptions = {},
): Promise<RunningCloudflareEmulator> {
  const teamDomain = `rotor-${randomBytes(3).toString('hex')}.cloudflareaccess.com`;
  const store = new CloudflareStore(options.clock ?? systemClock, teamDomain);
  const admin: AdminCredentials = {
    accountId: options.accountId ?? randomBytes(16).toString('hex'),
    zoneId: options.zoneId ?? randomBytes(16).toString('hex'),
    apiToken: options.apiToken ?? randomBytes(30).toString('base64url'),
    email: options.email ?? 'admin@rotor.example',
    apiKey: options.apiKey ?? randomBytes(19).toString('hex'),
  };

  /** Authorises and finds the token, or answers as the API would. */
  const withToken =
    (handle: (token: StoredToken, request: EmulatorRequest) => EmulatorResponse, accountOnly = false) =>
    (params: Record<Params, string>, request: EmulatorRequest): EmulatorResponse => {
      const scope = scopeOf(params);
      if (!scope || (accountOnly && scope.kind !== 'accounts'))
        return fail(404, { code: 7003, message: 'No route for the URI' });
      const denied = authorize(admin, request, scope);
      if (denied) return denied;
      const token = store.find(scope, params.tokenId);
      return token ? handle(token, request) : notFound();
    };
  const withScope =
    (handle: (scope: TokenScope, request: EmulatorRequest) => EmulatorResponse) =>
    (params: Record<Params, string>, request: EmulatorRequest): EmulatorResponse => {
      const scope = scopeOf(params);
      if (!scope) return fail(404, { code: 7003, message: 'No route for the URI' });
      return authorize(admin, request, scope) ?? handle(scope, request);
    };

  const apiRoutes: readonly PathRoute<Params>[] = [
    {
      id: 'listServiceTokens',
      method: 'GET',
      pattern: BASE,
      handle: withScope((scope, request) => listTokens(store, scope, request)),
    },
    {
      id: 'createServiceToken',
      method: 'POST',
      pattern: BASE,
      handle: withScope((scope, request) => createToken(store, scope, request)),
    },
    {
      id: 'getServiceToken',
      method: 'GET',
      pattern: `${BASE}/:tokenId`,
      handle: withToken((token) => ok(tokenView(token))),
    },
    {
      id: 'updateServiceToken',
      method: 'PUT',
      pattern: `${BASE}/:tokenId`,
      handle: withToken((token, request) => updateToken(store, token, request)),
    },
    {
      id: 'deleteServiceToken',
      method: 'DELETE',
      pattern: `${BASE}/:tokenId`,
      handle: withToken((token) => {
        store.delete(token);
        return ok(tokenView(token));
      }),
    },
    {
      id: 'refreshServiceToken',
      method: 'POST',
      pattern: `${BASE}/:tokenId/refresh`,
      handle: withToken((token) => {
        store.refresh(token);
        return ok(tokenView(token));
      }, true),
    },
    {
      id: 'rotateServiceToken',
      method: 'POST',
      pattern: `${BASE}/:tokenId/rotate`,
      handle: withToken((token, request) => rotateToken(store, token, request), true),
    },
  ];
  const route = pathRouter<Params>(apiRoutes);

  const seedToken: RunningCloudflareEmulator['seedToken'] = (input) => {
    if (input.duration !== undefined && parseGoDuration(input.duration) === undefined)
      throw new Error(`invalid duration ${input.duration}`);
    const scope: TokenScope =
      input.scope === 'zone'
        ? { kind: 'zones', id: admin.zoneId }
        : { kind: 'accounts', id: admin.accountId };
    if (input.id !== undefined && store.find(scope, input.id)) throw new Error(`token ${input.id} exists`);
    const token = store.create({
      scope,
      name: input.name,
      ...(input.id === undefined ? {} : { id: input.id }),
      ...(input.duration === undefined ? {} : { duration: input.duration }),
    });
    return { id: token.id, clientId: token.clientId, clientSecret: token.secret };
  };

  const api: EmulatorApi = {
    // "Client API per user/account token: 1200/5 minutes"; the Access edge is not the client API.
    quotas: [
      { name: 'api', routes: apiRoutes.map((r) => r.id), requests: 1_200, perMs: 300_000, retryAfter: true },
    ],
    resolve: (request) =>
      request.path === '/access' || request.path.startsWith('/access/')
        ? { routeId: 'accessApplication', handle: () => accessGate(store, teamDomain, request) }
        : route(request),
    errorResponse: (status, retryAfterSeconds, message) => {
      if (message !== undefined) return fail(status, { code: 10000, message });
      if (status === 429) {
        return {
          ...fail(429, {
            code: 10429,
            message: 'Rate limited. Please wait and consider throttling your request speed',
          }),
          headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
        };
      }
      if (status === 404) return fail(404, { code: 7003, message: 'No route for the URI' });
      if (status >= 500) return fail(status, { code: 10001, message: 'Internal server error' });
      return fail(status, { code: 10000, message: `Request failed with status ${status}` });
    },
    malformedResponse: () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"success":true,"errors":[],"result":{"id":',
    }),
    control: (request, name) => {
      if (name !== 'service-tokens') return undefined;
      if (request.method === 'GET')
        return {
          status: 200,
          body: {
            serviceTokens: [
              ...store.list({ kind: 'accounts', id: admin.accountId }),
              ...store.list({ kind: 'zones', id: admin.zoneId }),
            ].map(tokenView),
          },
        };
      if (request.method !== 'POST') return undefined;
      const body = readJsonBody(request, { whenEmpty: {} });
      if (!body.ok) return { status: 400, body: { error: body.reason } };
      try {
        const input = body.value as {
          name?: unknown;
          duration?: unknown;
          scope?: unknown;
        };
        if (typeof input.name !== 'string') return { status: 400, body: { error: 'name is required' } };
        const seeded = seedToken({
          name: input.name,
          ...(typeof input.duration === 'string' ? { duration: input.duration } : {}),
          ...(input.scope === 'zone' ? { scope: 'zone' as const } : {}),
        });
        return { status: 201, body: seeded };
      } catch (error) {
        return { status: 400, body: { error: error instanceof Error ? error.message : 'invalid request' } };
      }
    },
  };

  const server = await startEmulatorServer(api, options);
  return {
    server,
    store,
    admin,
    seedToken,
    client: {
      baseUrl: `${server.origin}${V4}`,
      accountId: admin.accountId,
      zoneId: admin.zoneId,
      apiToken: admin.apiToken,
      email: admin.email,
      apiKey: admin.apiKey,
      accessUrl: `${server.origin}/access/app`,
    },
  };
}

export const cloudflareEmulator: Emulator = {
  name: 'cloudflare',
  start: async (options) => {
    const { server, client } = await startCloudflareEmulator(options);
    return { server, client };
  },
};
