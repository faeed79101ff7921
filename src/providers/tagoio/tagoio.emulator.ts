import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Emulator, EmulatorStartOptions, RunningEmulator } from '../../emulation/emulator.js';
import type { EmulatorApi, EmulatorRequest, EmulatorResponse } from '../../emulation/emulator-http.js';
import { pathRouter } from '../../emulation/emulator-http.js';
import { startEmulatorServer } from '../../emulation/emulator-server.js';
import { type StoredServiceToken, TagoioStore } from './tagoio.emulator-store.js';

export interface TagoioEmulatorOptions extends EmulatorStartOptions {
  /** The profile token; random when absent. */
  readonly token?: string;
}

export interface RunningTagoioEmulator extends RunningEmulator {
  readonly store: TagoioStore;
  readonly token: string;
}

const ok = (result: unknown): EmulatorResponse => ({ status: 200, body: { status: true, result } });
const fail = (status: number, message: string): EmulatorResponse => ({
  status,
  // Both documented error shapes at once, as the reference recommends.
  body: { status: false, message, result: { message } },
});

const createBody = z.looseObject({
  name: z.string().min(1),
  permission: z.enum(['write', 'read', 'full', 'deny']).optional(),
  expire_time: z.union([z.literal('never'), z.iso.datetime({ offset: true })]).optional(),
  verification_code: z.string().nullable().optional(),
  serie_number: z.string().nullable().optional(),
});

const listView = (token: StoredServiceToken): Record<string, unknown> => ({
  token: token.token,
  name: token.name,
  type: 'serviceauth',
  permission: token.permission,
  serie_number: token.serieNumber,
  last_authorization: null,
  verification_code: token.verificationCode,
  expire_time: token.expireTime,
  ref_id: token.refId,
  created_at: new Date(token.createdAt).toISOString(),
  created_by: null,
});

/** `fields[0]=`, `fields[]=` (qs, the JS SDK) and repeated `fields=` (requests, the Python SDK). */
function fieldsOf(query: URLSearchParams): string[] {
  const fields: string[] = [];
  for (const [key, value] of query) if (/^fields(\[\d*\])?$/.test(key)) fields.push(value);
  return fields.length > 0 ? fields : ['name', 'token', 'permission'];
}

function matchesName(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(name);
}

function parseBody(request: EmulatorRequest): unknown {
  try {
    return JSON.parse(request.body.toString('utf8') || '{}');
  } catch {
    return undefined;
  }
}

/**
 * TagoIO's service-authorization API: the `{status, result}` envelope, the profile token in the `token`
 * header (or Authorization), list queries as both official SDKs encode them.
 */
export async function startTagoioEmulator(
  options: TagoioEmulatorOptions = {},
): Promise<RunningTagoioEmulator> {
  const store = new TagoioStore();
  const token = options.token ?? `p-${randomBytes(16).toString('hex')}`;
  const authorized =
    (handle: (params: Record<'token', string>, request: EmulatorRequest) => EmulatorResponse) =>
    (params: Record<'token', string>, request: EmulatorRequest): EmulatorResponse => {
      const presented = request.headers.token ?? request.headers.authorization;
      if (presented === undefined) return fail(401, 'Authorization token not found');
      if (presented !== token) return fail(401, 'Invalid authorization token');
      return handle(params, request);
    };

  const route = pathRouter<'token'>([
    {
      id: 'listServiceAuth',
      method: 'GET',
      pattern: '/serviceauth',
      handle: authorized((_params, request) => {
        const page = Math.max(Number(request.query.get('page') ?? 1) || 1, 1);
        const amount = Math.min(Math.max(Number(request.query.get('amount') ?? 20) || 20, 1), 10_000);
        const nameFilter = request.query.get('filter[name]');
        const [orderField = 'created_at', direction = 'desc'] = (
          request.query.get('orderBy') ?? 'created_at,desc'
        ).split(',');
        const fields = fieldsOf(request.query);
        const matching = store
          .list()
          .filter((entry) => nameFilter === null || matchesName(nameFilter, entry.name))
          .sort((a, b) => {
            const order = orderField === 'name' ? a.name.localeCompare(b.name) : a.createdAt - b.createdAt;
            return direction === 'asc' ? order : -order;
          });
        const slice = matching.slice((page - 1) * amount, page * amount);
        return ok(
          slice.map((entry) =>
            Object.fromEntries(Object.entries(listView(entry)).filter(([key]) => fields.includes(key))),
          ),
        );
      }),
    },
    {
      id: 'createServiceAuth',
      method: 'POST',
      pattern: '/serviceauth',
      handle: authorized((_params, request) => {
        const body = createBody.safeParse(parseBody(request));
        if (!body.success) return fail(400, 'Invalid request data');
        const created = store.create({
          name: body.data.name,
          permission: body.data.permission ?? 'full',
          expireTime: body.data.expire_time ?? 'never',
          verificationCode: body.data.verification_code ?? undefined,
          serieNumber: body.data.serie_number ?? undefined,
        });
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
      handle: authorized((params, request) => {
        const entry = store.find(params.token);
        if (!entry) return fail(404, 'Authorization token not found');
        const body = z
          .looseObject({ verification_code: z.string().nullable().optional() })
          .safeParse(parseBody(request));
        if (!body.success) return fail(400, 'Invalid request data');
        entry.verificationCode = body.data.verification_code ?? null;
        return ok('Authorization Code Successfully Updated');
      }),
    },
    {
      id: 'deleteServiceAuth',
      method: 'DELETE',
      pattern: '/serviceauth/:token',
      handle: authorized((params) =>
        store.delete(params.token)
          ? ok('Token Successfully Removed')
          : fail(404, 'Authorization token not found'),
      ),
    },
  ]);

  const api: EmulatorApi = {
    resolve: route,
    errorResponse: (status, retryAfterSeconds) => ({
      ...fail(
        status,
        status === 429 ? 'Too Many Requests' : status >= 500 ? 'Internal Server Error' : 'Request failed',
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
