import { z } from 'zod';
import { httpFailure, protocolFailure } from '../../domain/classify-http.js';
import { RotationError } from '../../domain/errors.js';
import { parseRetryAfter } from '../../domain/retry-after.js';
import { sanitizeVendorMessage } from '../../domain/sanitize.js';
import type { HttpResponse } from '../../lib/http-client.js';

export const MOOV = 'moov';

/** Values at or above this are Unix timestamps, below it lifetimes in seconds (Moov's sources disagree). */
const EPOCH_SECONDS_FLOOR = 1_000_000_000;
/** The same cap as Retry-After: a broken header must not park a rotation forever. */
const MAX_RETRY_IN_MS = 24 * 60 * 60 * 1000;

/** `AuthToken`: every field is required in Moov's current OpenAPI document. */
export const authTokenSchema = z.looseObject({
  /** `Bearer` today; older documents say `opaque` or `jwt`. */
  token_type: z.string().min(1),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  scope: z.string(),
});
export type AuthToken = z.infer<typeof authTokenSchema>;

/** When a token expires: `expires_in` as a Unix timestamp or as seconds from now, whichever it is. */
export function expiryOf(expiresIn: number, nowMs: number): Date {
  return new Date(expiresIn >= EPOCH_SECONDS_FLOOR ? expiresIn * 1000 : nowMs + expiresIn * 1000);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The error text, sanitised: `{"error": …}` (GenericError), or the field messages of a 422
 * (`{"scope": …}`, `{"refresh_token": …}`, `{"token": …}`).
 */
export function vendorMessageOf(text: string): string | undefined {
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const fields = Object.entries(body as Record<string, unknown>).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  if (fields.length === 0) return undefined;
  const error = fields.find(([key]) => key === 'error');
  return sanitizeVendorMessage(
    error ? error[1] : fields.map(([key, value]) => `${key}: ${value}`).join('; '),
  );
}

/** How long a 429 asks to wait: X-Retry-In (milliseconds) or Retry-After (seconds or a date). */
export function retryAfterMsOf(response: HttpResponse, nowMs: number): number | undefined {
  const retryIn = response.headers['x-retry-in']?.trim();
  if (retryIn !== undefined && /^\d+(\.\d+)?$/.test(retryIn))
    return Math.min(Math.ceil(Number(retryIn)), MAX_RETRY_IN_MS);
  return parseRetryAfter(response.headers['retry-after'], nowMs);
}

/** What an operator can do about a status Moov's token and ping endpoints answer. */
function hintFor(status: number): string | undefined {
  if (status === 403)
    return 'if the API key has a domain list, set the connection origin to one of its domains';
  if (status === 404)
    return 'Moov answers 404 to an unknown path or a malformed X-Moov-Version: check the connection baseUrl and moovVersion';
  return undefined;
}

/**
 * A failed call as a RotationError: status, sanitised vendor text, the wait a 429 asks for. Every path rotor
 * calls at Moov is fixed (no resource ids), so a 404 never means "gone": it is a configuration problem.
 */
export function failureOf(operation: string, response: HttpResponse, nowMs: number): RotationError {
  const failure = httpFailure({
    system: MOOV,
    operation,
    status: response.status,
    retryAfterMs: retryAfterMsOf(response, nowMs),
    vendorMessage: vendorMessageOf(response.text),
  });
  const hint = hintFor(response.status);
  if (hint === undefined) return failure;
  const kind = response.status === 404 ? 'invalid-config' : failure.kind;
  return new RotationError(kind, `${failure.message}; ${hint}`, failure.details);
}

export function isSuccess(response: HttpResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

/** The AuthToken of a token call, or a classified failure; a 2xx of another shape is a protocol failure. */
export function readToken(operation: string, response: HttpResponse, nowMs: number): AuthToken {
  if (!isSuccess(response)) throw failureOf(operation, response, nowMs);
  const parsed = authTokenSchema.safeParse(parseJson(response.text));
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'body'))].join(
      ', ',
    );
    throw protocolFailure(
      MOOV,
      operation,
      `AuthToken fields ${fields} do not match the documented shape`,
      response.status,
    );
  }
  return parsed.data;
}
