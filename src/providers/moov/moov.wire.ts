import { z } from 'zod';
import { httpFailure, protocolFailure } from '../../domain/classify-http.js';
import type { RotationError } from '../../domain/errors.js';
import { parseRetryAfter } from '../../domain/retry-after.js';
import { sanitizeVendorMessage } from '../../domain/sanitize.js';
import type { HttpResponse } from '../../lib/http-client.js';

export const MOOV = 'moov';

/** Values above this are Unix timestamps, below it lifetimes in seconds (Moov's sources disagree). */
const EPOCH_SECONDS_FLOOR = 1_000_000_000;

export const authTokenSchema = z.looseObject({
  token_type: z.string(),
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

/** The error text: `{"error": …}`, or the field messages of a 422 (`{"scope": …, "refresh_token": …}`). */
export function vendorMessageOf(text: string): string | undefined {
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null) return undefined;
  const entries = Object.entries(body as Record<string, unknown>).filter(
    ([, value]) => typeof value === 'string',
  );
  if (entries.length === 0) return undefined;
  const error = entries.find(([key]) => key === 'error');
  return sanitizeVendorMessage(
    error ? String(error[1]) : entries.map(([key, value]) => `${key}: ${String(value)}`).join('; '),
  );
}

/** Moov's rate limits say when to retry in Retry-After (seconds) or X-Retry-In (milliseconds). */
function retryAfterMs(response: HttpResponse, nowMs: number): number | undefined {
  const retryIn = Number(response.headers['x-retry-in']);
  if (Number.isFinite(retryIn) && retryIn >= 0 && response.headers['x-retry-in'] !== undefined)
    return retryIn;
  return parseRetryAfter(response.headers['retry-after'], nowMs);
}

export function failureOf(operation: string, response: HttpResponse, nowMs: number): RotationError {
  return httpFailure({
    system: MOOV,
    operation,
    status: response.status,
    retryAfterMs: retryAfterMs(response, nowMs),
    vendorMessage: vendorMessageOf(response.text),
  });
}

export function readToken(operation: string, response: HttpResponse, nowMs: number): AuthToken {
  if (response.status < 200 || response.status >= 300) throw failureOf(operation, response, nowMs);
  const parsed = authTokenSchema.safeParse(parseJson(response.text));
  if (!parsed.success)
    throw protocolFailure(MOOV, operation, 'not an AuthToken of the documented shape', response.status);
  return parsed.data;
}
