import type { z } from 'zod';
import { httpFailure, protocolFailure } from '../domain/classify-http.js';
import type { RotationError } from '../domain/errors.js';
import { parseRetryAfter } from '../domain/retry-after.js';
import { sanitizeVendorMessage } from '../domain/sanitize.js';
import type { HttpResponse } from '../lib/http-client.js';

/** What a vendor's error body says about a failed call, before sanitising. */
export interface VendorError {
  readonly code?: string | undefined;
  readonly message?: string | undefined;
}

/**
 * How one vendor's answers read: its name in errors and metrics, what its error body says and, where the
 * vendor has its own header for it, how long a 429 asks to wait (Retry-After otherwise).
 */
export interface VendorWire {
  readonly system: string;
  /** The code and message of an error body; undefined when the body is not the vendor's error shape. */
  errorOf(body: unknown): VendorError | undefined;
  retryAfterMs?(response: HttpResponse, nowMs: number): number | undefined;
}

/** The body as JSON, or undefined when it is not JSON (an HTML error page, an empty 204). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isSuccess(response: HttpResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

/** A failed call as a RotationError: status, the vendor's code and sanitised message, the wait a 429 asks for. */
export function failureOf(
  wire: VendorWire,
  operation: string,
  response: HttpResponse,
  nowMs: number,
): RotationError {
  const said = wire.errorOf(parseJson(response.text));
  return httpFailure({
    system: wire.system,
    operation,
    status: response.status,
    retryAfterMs: wire.retryAfterMs
      ? wire.retryAfterMs(response, nowMs)
      : parseRetryAfter(response.headers['retry-after'], nowMs),
    vendorCode: said?.code,
    vendorMessage: said?.message === undefined ? undefined : sanitizeVendorMessage(said.message),
  });
}

/**
 * `value` (part of a 2xx answer) parsed with `schema`, or a protocol failure naming the fields that do not
 * match the documented shape — never their values, which may be secrets.
 */
export function documented<T>(
  wire: VendorWire,
  operation: string,
  response: HttpResponse,
  value: unknown,
  schema: z.ZodType<T>,
  what: string,
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || what))].join(', ');
  throw protocolFailure(
    wire.system,
    operation,
    `${what} fields ${fields} do not match the documented shape`,
    response.status,
  );
}

/**
 * The body of an answer parsed with `schema`: a non-2xx is the vendor's classified failure (`fail`, the
 * shared reading unless the vendor adds to it), a 2xx of another shape a protocol failure.
 */
export function readBody<T>(
  wire: VendorWire,
  operation: string,
  response: HttpResponse,
  schema: z.ZodType<T>,
  nowMs: number,
  fail: (response: HttpResponse) => RotationError = (failed) => failureOf(wire, operation, failed, nowMs),
): T {
  if (!isSuccess(response)) throw fail(response);
  return documented(wire, operation, response, parseJson(response.text), schema, 'body');
}
