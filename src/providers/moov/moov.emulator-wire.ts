import { randomUUID } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import { isJsonObject, jsonBodyValue } from '../../emulator-harness/json-body.js';

/** Every Moov response carries a request id (a UUID). */
export function withRequestId(response: EmulatorResponse): EmulatorResponse {
  return { ...response, headers: { 'x-request-id': randomUUID(), ...response.headers } };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return withRequestId({ status, headers: { 'content-type': 'application/json', ...headers }, body });
}

/** `GenericError`: `{"error": "…"}` (400 and every status without a schema of its own). */
export const genericError = (status: number, error: string) => json(status, { error });

/** `AuthTokenRequestError` / `RevokeTokenRequestError`: 422 with a message per request field. */
export const fieldError = (field: string, message: string) => json(422, { [field]: message });

export const noContent = (): EmulatorResponse => withRequestId({ status: 204 });

/**
 * The request body as string fields: JSON or form-encoded, as the OpenAPI document allows both. Undefined
 * when the body is neither (or not an object).
 */
export function bodyOf(request: EmulatorRequest): Record<string, string> | undefined {
  const type = (request.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(request.body.toString('utf8')));
  if (!type.startsWith('application/json')) return undefined;
  const parsed = jsonBodyValue(request);
  if (!isJsonObject(parsed)) return undefined;
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** The username and password of `Authorization: Basic …`. */
export function basicPair(request: EmulatorRequest): [string, string] | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  return at < 0 ? undefined : [decoded.slice(0, at), decoded.slice(at + 1)];
}

/** The token of `Authorization: Bearer …`. */
export function bearerToken(request: EmulatorRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
}

/**
 * Moov's versioning: no header means the oldest version, a well-formed one (or `latest`) is served, a
 * malformed one such as `2022` is answered with 404.
 */
export function malformedVersion(request: EmulatorRequest): EmulatorResponse | undefined {
  const version = request.headers['x-moov-version'];
  if (version === undefined || /^v\d{4}\.\d{2}\.\d{2}$/.test(version) || version === 'latest')
    return undefined;
  return genericError(404, 'not found');
}
