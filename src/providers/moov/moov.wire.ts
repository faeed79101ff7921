import { z } from 'zod';
import { RotationError } from '../../domain/errors.js';
import { parseRetryAfter } from '../../domain/retry-after.js';
import type { HttpResponse } from '../../lib/http-client.js';
import { failureOf, readBody, type VendorWire } from '../vendor-wire.js';

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

/**
 * Moov's error bodies: `{"error": …}` (GenericError), or the field messages of a 422 (`{"scope": …}`,
 * `{"refresh_token": …}`, `{"token": …}`). A 429 says how long to wait in X-Retry-In (milliseconds), else in
 * Retry-After (seconds or a date).
 */
export const moovWire: VendorWire = {
  system: MOOV,
  errorOf(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const fields = Object.entries(body as Record<string, unknown>).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    );
    if (fields.length === 0) return undefined;
    const error = fields.find(([key]) => key === 'error');
    return { message: error ? error[1] : fields.map(([key, value]) => `${key}: ${value}`).join('; ') };
  },
  retryAfterMs(response, nowMs) {
    const retryIn = response.headers['x-retry-in']?.trim();
    if (retryIn !== undefined && /^\d+(\.\d+)?$/.test(retryIn))
      return Math.min(Math.ceil(Number(retryIn)), MAX_RETRY_IN_MS);
    return parseRetryAfter(response.headers['retry-after'], nowMs);
  },
};

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
export function moovFailure(operation: string, response: HttpResponse, nowMs: number): RotationError {
  const failure = failureOf(moovWire, operation, response, nowMs);
  const hint = hintFor(response.status);
  if (hint === undefined) return failure;
  const kind = response.status === 404 ? 'invalid-config' : failure.kind;
  return new RotationError(kind, `${failure.message}; ${hint}`, failure.details);
}

/** The AuthToken of a token call, or a classified failure; a 2xx of another shape is a protocol failure. */
export function readToken(operation: string, response: HttpResponse, nowMs: number): AuthToken {
  return readBody(moovWire, operation, response, authTokenSchema, nowMs, (failed) =>
    moovFailure(operation, failed, nowMs),
  );
}
