import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Emulator, EmulatorStartOptions, RunningEmulator } from '../../emulator-harness/emulator.js';
import type { EmulatorApi, EmulatorRequest, EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import { pathRouter } from '../../emulator-harness/emulator-http.js';
import { startEmulatorServer } from '../../emulator-harness/emulator-server.js';
import { jsonBodyValue } from '../../emulator-harness/json-body.js';
import { applyTags, type StoredTelenorToken, TelenorStore } from './telenor.emulator-store.js';

export interface TelenorEmulatorOptions extends EmulatorStartOptions {
  /** The CONNECT ID session's Cookie header value; random when absent. */
  readonly session?: string;
  /** An admin API token (resource /, write); random when absent. */
  readonly apiToken?: string;
  /** Whether API tokens may manage /tokens. The documented API says no (default false). */
  readonly apiTokensManageTokens?: boolean;
}

export interface RunningTelenorEmulator extends RunningEmulator {
  readonly store: TelenorStore;
  /** The CONNECT ID session's Cookie header value. */
  readonly session: string;
  /** The admin API token (resource /, write): accepted on `GET /`, and on /tokens only where allowed. */
  readonly apiToken: string;
  /** Ends the CONNECT ID session, as Telenor does when a session expires: /tokens then answers 401. */
  expireSession(): void;
}

const SESSION_COOKIE = 'horde_session';
type Params = 'token' | 'name';

/** `a=1; b=2` as its `name=value` pairs. */
function cookiePairs(header: string): string[] {
  return header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '');
}
const ERROR_MESSAGES: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  429: 'Too many requests',
};
const error = (status: number, message: string): EmulatorResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: { status, message },
});
const view = (token: StoredTelenorToken) => ({
  token: token.token,
  resource: token.resource,
  write: token.write,
  ...(Object.keys(token.tags).length > 0 ? { tags: token.tags } : {}),
});
const createBody = z.strictObject({
  resource: z.string().startsWith('/'),
  write: z.boolean(),
  tags: z.record(z.string(), z.string()).optional(),
});
const patchBody = z.strictObject({
  resource: z.string().startsWith('/').optional(),
  write: z.boolean().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

/** The body of a request sent as JSON; undefined (refused by the schema check) for any other or a malformed one. */
function json(request: EmulatorRequest): unknown {
  if (!(request.headers['content-type'] ?? '').startsWith('application/json')) return undefined;
  return jsonBodyValue(request);
}

/**
 * The Telenor NB-IoT (Horde) API for tokens: `/tokens` for a CONNECT ID session (and for API tokens only
 * when configured so), `GET /` answering per token, the `{status, message}` error body.
 */
export async function startTelenorEmulator(
  options: TelenorEmulatorOptions = {},
): Promise<RunningTelenorEmulator> {
  const store = new TelenorStore();
  const session = options.session ?? `${SESSION_COOKIE}=${randomBytes(24).toString('hex')}`;
  const apiToken = store.create({
    resource: '/',
    write: true,
    tags: { name: 'admin' },
    ...(options.apiToken === undefined ? {} : { token: options.apiToken }),
  }).token;
  const sessionCookies = cookiePairs(session);
  let sessionLive = true;

  /** The request carries every cookie of the session (browsers send other cookies beside it). */
  const presentsSession = (request: EmulatorRequest) => {
    const sent = new Set(cookiePairs(request.headers.cookie ?? ''));
    return sessionCookies.length > 0 && sessionCookies.every((pair) => sent.has(pair));
  };
  const tokenOf = (request: EmulatorRequest) => request.headers['x-api-token'];

  /** /tokens: a CONNECT ID session, or an admin API token where allowed. */
  const guarded =
    (handle: (params: Record<Params, string>, request: EmulatorRequest) => EmulatorResponse) =>
    (params: Record<Params, string>, request: EmulatorRequest): EmulatorResponse => {
      if (presentsSession(request)) {
        return sessionLive
          ? handle(params, request)
          : error(401, 'Session expired: log in through CONNECT ID again');
      }
      const presented = tokenOf(request);
      if (presented === undefined) return error(401, 'Unauthorized: log in through CONNECT ID');
      if (!options.apiTokensManageTokens) {
        return error(403, 'The token resource is only available when logged in through CONNECT ID');
      }
      const known = store.find(presented);
      if (!known) return error(401, 'Unknown API token');
      if (known.resource !== '/' || !known.write) return error(403, 'You do not have write access');
      return handle(params, request);
    };
  const withToken = (
    handle: (
      token: StoredTelenorToken,
      request: EmulatorRequest,
      params: Record<Params, string>,
    ) => EmulatorResponse,
  ) =>
    guarded((params, request) => {
      const token = store.find(params.token);
      return token ? handle(token, request, params) : error(404, 'Token not found');
    });

  const route = pathRouter<Params>([
    {
      id: 'ping',
      method: 'GET',
      pattern: '/',
      handle: (_params, request) => {
        const presented = tokenOf(request);
        const token = presented === undefined ? undefined : store.find(presented);
        if (!token) return error(401, 'Unknown API token');
        if (token.resource !== '/') return error(403, 'Forbidden');
        return { status: 200, body: { name: 'Horde', version: 'emulated' } };
      },
    },
    {
      id: 'listTokens',
      method: 'GET',
      pattern: '/tokens',
      handle: guarded(() => ({ status: 200, body: { tokens: store.list().map(view) } })),
    },
    {
      id: 'createToken',
      method: 'POST',
      pattern: '/tokens',
      handle: guarded((_params, request) => {
        const body = createBody.safeParse(json(request));
        if (!body.success) return error(400, 'Missing or invalid resource/write');
        return { status: 201, body: view(store.create(body.data)) };
      }),
    },
    {
      id: 'getToken',
      method: 'GET',
      pattern: '/tokens/:token',
      handle: withToken((token) => ({ status: 200, body: view(token) })),
    },
    {
      id: 'updateToken',
      method: 'PATCH',
      pattern: '/tokens/:token',
      handle: withToken((token, request) => {
        const body = patchBody.safeParse(json(request));
        if (!body.success) return error(400, 'Invalid token update');
        if (body.data.resource !== undefined) token.resource = body.data.resource;
        if (body.data.write !== undefined) token.write = body.data.write;
        if (body.data.tags !== undefined) token.tags = applyTags(token.tags, body.data.tags);
        return { status: 200, body: view(token) };
      }),
    },
    {
      id: 'deleteToken',
      method: 'DELETE',
      pattern: '/tokens/:token',
      handle: withToken((token) => {
        store.delete(token.token);
        return { status: 204 };
      }),
    },
    {
      id: 'getTokenTags',
      method: 'GET',
      pattern: '/tokens/:token/tags',
      handle: withToken((token) => ({ status: 200, body: token.tags })),
    },
    {
      id: 'getTokenTag',
      method: 'GET',
      pattern: '/tokens/:token/tags/:name',
      handle: withToken((token, _request, params) => {
        const value = token.tags[params.name.toLowerCase()];
        return value === undefined ? error(404, 'Tag not found') : { status: 200, body: { value } };
      }),
    },
    {
      id: 'updateTokenTags',
      method: 'PATCH',
      pattern: '/tokens/:token/tags',
      handle: withToken((token, request) => {
        const body = z.record(z.string(), z.string()).safeParse(json(request));
        if (!body.success) return error(400, 'Expected an object of tag names and values');
        token.tags = applyTags(token.tags, body.data);
        return { status: 200, body: token.tags };
      }),
    },
  ]);

  const seed = (request: EmulatorRequest): EmulatorResponse => {
    const body = createBody.safeParse(jsonBodyValue(request, { whenEmpty: {} }));
    if (!body.success) return { status: 400, body: { error: 'expected {resource, write, tags?}' } };
    return { status: 201, body: view(store.create(body.data)) };
  };

  const api: EmulatorApi = {
    resolve: route,
    errorResponse: (status, retryAfterSeconds, message) => ({
      ...error(
        status,
        message ?? ERROR_MESSAGES[status] ?? (status >= 500 ? 'Internal server error' : 'Request failed'),
      ),
      ...(status === 429 && retryAfterSeconds !== undefined
        ? { headers: { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds) } }
        : {}),
    }),
    malformedResponse: () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"tokens": [{"tok',
    }),
    control: (request, name) => {
      // GET lists every token (the admin token included); POST seeds one as an operator would make it.
      if (name === 'tokens' && request.method === 'GET') {
        return { status: 200, body: { tokens: store.list().map(view) } };
      }
      if (name === 'tokens' && request.method === 'POST') return seed(request);
      // DELETE ends the CONNECT ID session, as its expiry would.
      if (name === 'session' && request.method === 'DELETE') {
        sessionLive = false;
        return { status: 204 };
      }
      return undefined;
    },
  };
  const server = await startEmulatorServer(api, options);
  return {
    server,
    store,
    session,
    apiToken,
    client: { baseUrl: server.origin, session, apiToken },
    expireSession: () => {
      sessionLive = false;
    },
  };
}

export const telenorEmulator: Emulator = {
  name: 'telenor',
  start: async (options) => {
    const { server, client } = await startTelenorEmulator(options);
    return { server, client };
  },
};
