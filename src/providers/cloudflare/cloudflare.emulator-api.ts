import type { EmulatorRequest, EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import { isJsonObject, jsonBodyValue } from '../../emulator-harness/json-body.js';
import {
  type CloudflareStore,
  parseGoDuration,
  type StoredToken,
  type TokenScope,
} from './cloudflare.emulator-store.js';
import { fail, invalid, ok, tokenView, tokenWithSecret } from './cloudflare.emulator-wire.js';

export interface AdminCredentials {
  readonly accountId: string;
  readonly zoneId: string;
  readonly apiToken: string;
  readonly email: string;
  readonly apiKey: string;
}

const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 1000;

/** Checks the request's credentials as the v4 API does; returns an error response, or undefined when allowed. */
export function authorize(
  admin: AdminCredentials,
  request: EmulatorRequest,
  scope: TokenScope,
): EmulatorResponse | undefined {
  const authorization = request.headers.authorization;
  const email = request.headers['x-auth-email'];
  const key = request.headers['x-auth-key'];
  if (authorization !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_-]+)$/.exec(authorization);
    if (!match) {
      return fail(400, {
        code: 6003,
        message: 'Invalid request headers',
        error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }],
      });
    }
    if (match[1] !== admin.apiToken) return fail(401, { code: 1000, message: 'Invalid API Token' });
  } else if (email !== undefined || key !== undefined) {
    if (email !== admin.email || key !== admin.apiKey)
      return fail(403, { code: 9103, message: 'Unknown X-Auth-Key or X-Auth-Email' });
  } else {
    return fail(400, { code: 9106, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers' });
  }
  const owned = scope.kind === 'accounts' ? scope.id === admin.accountId : scope.id === admin.zoneId;
  return owned ? undefined : fail(403, { code: 10000, message: 'Authentication error' });
}

type Body = Record<string, unknown>;

type ParsedBody = { readonly body: Body; readonly error?: undefined } | { readonly error: EmulatorResponse };

/** An empty body is no fields; anything but a JSON object is Cloudflare's 6007. */
function jsonBody(request: EmulatorRequest): ParsedBody {
  const parsed = jsonBodyValue(request, { whenEmpty: {} });
  if (isJsonObject(parsed)) return { body: parsed };
  return { error: fail(400, { code: 6007, message: 'Malformed JSON in request body' }) };
}

function parseInstant(value: unknown): number | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return 'invalid';
  const at = Date.parse(value);
  return Number.isNaN(at) ? 'invalid' : at;
}

export function listTokens(
  store: CloudflareStore,
  scope: TokenScope,
  request: EmulatorRequest,
): EmulatorResponse {
  const page = Number(request.query.get('page') ?? '1');
  const perPage = Number(request.query.get('per_page') ?? String(DEFAULT_PER_PAGE));
  if (!Number.isInteger(page) || page < 1) return invalid('page must be a positive integer');
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE)
    return invalid(`per_page must be 1-${MAX_PER_PAGE}`);
  const name = request.query.get('name');
  const search = request.query.get('search')?.toLowerCase();
  const all = store
    .list(scope)
    .filter((token) => name === null || token.name === name)
    .filter(
      (token) =>
        search === undefined || token.name.toLowerCase().includes(search) || token.clientId.includes(search),
    )
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  const items = all.slice((page - 1) * perPage, page * perPage);
  return ok(items.map(tokenView), 200, {
    page,
    per_page: perPage,
    count: items.length,
    total_count: all.length,
    total_pages: Math.ceil(all.length / perPage),
  });
}

export function createToken(
  store: CloudflareStore,
  scope: TokenScope,
  request: EmulatorRequest,
): EmulatorResponse {
  const parsed = jsonBody(request);
  if (parsed.error) return parsed.error;
  const { body } = parsed;
  if (typeof body.name !== 'string' || body.name.trim() === '') return invalid('name is required');
  if (
    body.duration !== undefined &&
    (typeof body.duration !== 'string' || parseGoDuration(body.duration) === undefined)
  ) {
    return invalid('duration must be a Go duration such as 8760h, or forever');
  }
  if (body.enabled !== undefined && typeof body.enabled !== 'boolean')
    return invalid('enabled must be a boolean');
  const token = store.create({
    scope,
    name: body.name,
    ...(typeof body.duration === 'string' ? { duration: body.duration } : {}),
    ...(typeof body.enabled === 'boolean' ? { enabled: body.enabled } : {}),
  });
  return ok(tokenWithSecret(token), 201);
}

export function updateToken(
  store: CloudflareStore,
  token: StoredToken,
  request: EmulatorRequest,
): EmulatorResponse {
  const parsed = jsonBody(request);
  if (parsed.error) return parsed.error;
  const { body } = parsed;
  if (body.name !== undefined && (typeof body.name !== 'string' || body.name.trim() === ''))
    return invalid('name must be a non-empty string');
  if (
    body.duration !== undefined &&
    (typeof body.duration !== 'string' || parseGoDuration(body.duration) === undefined)
  ) {
    return invalid('duration must be a Go duration such as 8760h, or forever');
  }
  if (body.enabled !== undefined && typeof body.enabled !== 'boolean')
    return invalid('enabled must be a boolean');
  const version = body.client_secret_version;
  if (
    version !== undefined &&
    (typeof version !== 'number' || !Number.isInteger(version) || version < token.clientSecretVersion)
  ) {
    return invalid('client_secret_version must be an integer not lower than the current version');
  }
  const previousExpiresAt = parseInstant(body.previous_client_secret_expires_at);
  if (previousExpiresAt === 'invalid')
    return invalid('previous_client_secret_expires_at must be an RFC 3339 date-time');

  if (typeof body.name === 'string') token.name = body.name;
  if (typeof body.duration === 'string') token.duration = body.duration;
  if (typeof body.enabled === 'boolean') token.enabled = body.enabled;
  const bumped = typeof version === 'number' && version > token.clientSecretVersion;
  if (bumped) {
    store.rotate(token, previousExpiresAt);
    token.clientSecretVersion = version;
  } else if (previousExpiresAt !== undefined && token.previousSecret !== undefined) {
    token.previousExpiresAt = previousExpiresAt;
  }
  token.updatedAt = store.now();
  return ok(bumped ? tokenWithSecret(token) : tokenView(token));
}

export function rotateToken(
  store: CloudflareStore,
  token: StoredToken,
  request: EmulatorRequest,
): EmulatorResponse {
  const parsed = jsonBody(request);
  if (parsed.error) return parsed.error;
  const { body } = parsed;
  const previousExpiresAt = parseInstant(body.previous_client_secret_expires_at);
  if (previousExpiresAt === 'invalid')
    return invalid('previous_client_secret_expires_at must be an RFC 3339 date-time');
  store.rotate(token, previousExpiresAt);
  return ok(tokenWithSecret(token));
}
