import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Emulator, EmulatorStartOptions, RunningEmulator } from '../../emulation/emulator.js';
import type { EmulatorApi, EmulatorRequest, EmulatorResponse } from '../../emulation/emulator-http.js';
import { pathRouter } from '../../emulation/emulator-http.js';
import { startEmulatorServer } from '../../emulation/emulator-server.js';
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
  readonly session: string;
  readonly apiToken: string;
}

const SESSION_COOKIE = 'horde_session';
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

function json(request: EmulatorRequest): unknown {
  if (!(request.headers['content-type'] ?? '').startsWith('application/json')) return undefined;
  try {
    return JSON.parse(request.body.toString('utf8'));
  } catch {
    return undefined;
  }
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
  const sessionValue = session.split('=').slice(1).join('=');

  const hasSession = (request: EmulatorRequest) =>
    (request.headers.cookie ?? '')
      .split(/;\s*/)
      .some((pair) => pair === session || pair.endsWith(`=${sessionValue}`));
  const tokenOf = (request: EmulatorRequest) => request.headers['x-api-token'];

  /** /tokens: a CONNECT ID session, or an admin API token where allowed. */
  const guarded =
    (handle: (params: Record<'token', string>, request: EmulatorRequest) => EmulatorResponse) =>
    (params: Record<'token', string>, request: EmulatorRequest): EmulatorResponse => {
      if (hasSession(request)) return handle(params, request);
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
  const withToken = (handle: (token: StoredTelenorToken, request: EmulatorRequest) => EmulatorResponse) =>
    guarded((params, request) => {
      const token = store.find(params.token);
      return token ? handle(token, request) : error(404, 'Token not found');
    });

  const route = pathRouter<'token'>([
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

  const api: EmulatorApi = {
    resolve: route,
    errorResponse: (status, retryAfterSeconds) => ({
      ...error(
        status,
        status === 429 ? 'Too many requests' : status >= 500 ? 'Internal server error' : 'Request failed',
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
  };
  const server = await startEmulatorServer(api, options);
  return {
    server,
    store,
    session,
    apiToken,
    client: { baseUrl: server.origin, session, apiToken },
  };
}

export const telenorEmulator: Emulator = {
  name: 'telenor',
  start: async (options) => {
    const { server, client } = await startTelenorEmulator(options);
    return { server, client };
  },
};
