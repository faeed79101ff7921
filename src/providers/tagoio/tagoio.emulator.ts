import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Emulator, EmulatorStartOptions, RunningEmulator } from '../../emulator-harness/emulator.js';
import type { EmulatorApi, EmulatorRequest, EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import { pathRouter } from '../../emulator-harness/emulator-http.js';
import { startEmulatorServer } from '../../emulator-harness/emulator-server.js';
import { jsonBodyValue } from '../../emulator-harness/json-body.js';
import { type NewServiceToken, type StoredServiceToken, TagoioStore } from './tagoio.emulator-store.js';
import { fail, listTokens, listView, ok } from './tagoio.emulator-wire.js';

export interface TagoioEmulatorOptions extends EmulatorStartOptions {
  /** The profile token; random when absent. */
  readonly token?: string;
}

export interface RunningTagoioEmulator extends RunningEmulator {
  readonly store: TagoioStore;
  readonly token: string;
}

const createBody = z.looseObject({
  name: z.string().min(1),
  permission: z.enum(['write', 'read', 'full', 'deny']).optional(),
  expire_time: z.union([z.literal('never'), z.iso.datetime({ offset: true })]).optional(),
  verification_code: z.string().nullable().optional(),
  serie_number: z.string().nullable().optional(),
});
const editBody = z.looseObject({ verification_code: z.string().nullable().optional() });

/** An empty body is no fields; a malformed one is refused by the schema check, as invalid data. */
const parseBody = (request: EmulatorRequest): unknown => jsonBodyValue(request, { whenEmpty: {} });

/** Tokens of a `/__emulator/serviceauth` POST: what a script seeds, with the API's defaults. */
function seedInput(body: unknown): NewServiceToken | undefined {
  const parsed = createBody.safeParse(body);
  if (!parsed.success) return undefined;
  return {
    name: parsed.data.name,
    permission: parsed.data.permission ?? 'full',
    expireTime: parsed.data.expire_time ?? 'never',
    verificationCode: parsed.data.verification_code ?? undefined,
    serieNumber: parsed.data.serie_number ?? undefined,
  };
}

/**
 * TagoIO's service-authorization API (`/serviceauth`): the `{status, result}` envelope and
 * `{status: false, message}` errors, the profile token in the `token` header (or Authorization), list
 * queries as both official SDKs encode them. Control routes: `GET /__emulator/serviceauth` lists every
 * token, `POST /__emulator/serviceauth` seeds one (`{name, permission?, expire_time?, verification_code?}`).
 */
export async function startTagoioEmulator(
  options: TagoioEmulatorOptions = {},
): Promise<RunningTagoioEmulator> {
  const store = new TagoioStore(options.clock);
  const token = options.token ?? `p-${randomBytes(16).toString('hex')}`;
  const authorized =
    (handle: (params: Record<'token', string>, request: EmulatorRequest) => EmulatorResponse) =>
    (params: Record<'token', string>, request: EmulatorRequest): EmulatorResponse => {
      const presented = request.headers.token ?? request.headers.authorization;
      if (presented === undefined) return fail(401, 'Authorization token not found');
      if (presented !== token) return fail(401, 'Invalid authorization token');
      return handle(params, request);
    };
  /** The token in the path, or TagoIO's 404 for one it does not know. */
  const withToken = (handle: (entry: StoredServiceToken, request: EmulatorRequest) => EmulatorResponse) =>
    authorized((params, request) => {
      const entry = store.find(params.token);
      return entry ? handle(entry, request) : fail(404, 'Authorization token not found');
    });

  const route = pathRouter<'token'>([
    {
      id: 'listServiceAuth',
      method: 'GET',
      pattern: '/serviceauth',
      handle: authorized((_params, request) => listTokens(store.list(), request.query)),
    },
    {
      id: 'createServiceAuth',
      method: 'POST',
      pattern: '/serviceauth',
      handle: authorized((_params, request) => {
        const input = seedInput(parseBody(request));
        if (!input) return fail(400, 'Invalid request data');
        const created = store.create(input);
        return ok({
          token: created.token,
          name: created.name,
          profile: store.profileId,
          ...(created.verificationCode === null ? {} : { additional_parameters: created.verificationCode }),
        });
      }),
    },
    {
      id: 'editServiceAuth',
      method: 'PUT',
      pattern: '/serviceauth/:token',
      handle: withToken((entry, request) => {
        const body = editBody.safeParse(parseBody(request));
        if (!body.success) return fail(400, 'Invalid request data');
        entry.verificationCode = body.data.verification_code ?? null;
        return ok('Authorization Code Successfully Updated');
      }),
    },
    {
      id: 'deleteServiceAuth',
      method: 'DELETE',
      pattern: '/serviceauth/:token',
      handle: withToken((entry) => {
        store.delete(entry.token);
        return ok('Token Successfully Removed');
      }),
    },
  ]);

  const api: EmulatorApi = {
    resolve: route,
    errorResponse: (status, retryAfterSeconds, message) => ({
      ...fail(
        status,
        message ??
          (status === 429
            ? 'Too Many Requests'
            : status === 404
              ? 'Not found'
              : status >= 500
                ? 'Internal Server Error'
                : 'Request failed'),
      ),
      ...(status === 429 && retryAfterSeconds !== undefined
        ? { headers: { 'retry-after': String(retryAfterSeconds) } }
        : {}),
    }),
    malformedResponse: () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"status":true,"result":{"tok',
    }),
    control: (request, name) => {
      if (name !== 'serviceauth') return undefined;
      if (request.method === 'GET')
        return { status: 200, body: { serviceAuthorizations: store.list().map(listView) } };
      if (request.method !== 'POST') return undefined;
      const input = seedInput(parseBody(request));
      if (!input)
        return {
          status: 400,
          body: { error: 'expected {name, permission?, expire_time?, verification_code?}' },
        };
      return { status: 201, body: listView(store.create(input)) };
    },
  };
  const server = await startEmulatorServer(api, options);
  return { server, store, token, client: { baseUrl: server.origin, token } };
}

export const tagoioEmulator: Emulator = {
  name: 'tagoio',
  start: async (options) => {
    const { server, client } = await startTagoioEmulator(options);
    return { server, client };
  },
};
