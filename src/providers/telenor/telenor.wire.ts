import { z } from 'zod';
import { httpFailure, protocolFailure } from '../../domain/classify-http.js';
import { RotationError } from '../../domain/errors.js';
import { parseRetryAfter } from '../../domain/retry-after.js';
import { sanitizeVendorMessage } from '../../domain/sanitize.js';
import type { HttpResponse } from '../../lib/http-client.js';

export const TELENOR = 'telenor';

export const tokenSchema = z.looseObject({
  token: z.string().min(1),
  resource: z.string(),
  write: z.boolean(),
  tags: z.record(z.string(), z.string()).optional(),
});
export type WireToken = z.infer<typeof tokenSchema>;

const errorBodySchema = z.looseObject({ status: z.number().optional(), message: z.string() });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Why /tokens refused the credential: the documented CONNECT ID rule, spelled out for the operator. */
const SESSION_RULE =
  "Telenor allows /tokens only from a CONNECT ID login session, not with an API token; set the connection's session to a fresh session cookie (sessions expire and rotor cannot renew them)";

/** A failed call as a RotationError; refusals of /tokens explain the session rule. */
export function failureOf(
  operation: string,
  response: HttpResponse,
  nowMs: number,
  tokensCall: boolean,
): RotationError {
  const body = errorBodySchema.safeParse(parseJson(response.text));
  const failure = httpFailure({
    system: TELENOR,
    operation,
    status: response.status,
    retryAfterMs: parseRetryAfter(response.headers['retry-after'], nowMs),
    vendorMessage: body.success ? sanitizeVendorMessage(body.data.message) : undefined,
  });
  if (tokensCall && (response.status === 401 || response.status === 403)) {
    return new RotationError('auth', `${failure.message}. ${SESSION_RULE}`, failure.details);
  }
  return failure;
}

/** The body parsed with `schema`, or a classified failure; a 2xx of the wrong shape is a protocol failure. */
export function readBody<T>(
  operation: string,
  response: HttpResponse,
  schema: z.ZodType<T>,
  nowMs: number,
  tokensCall: boolean,
): T {
  if (response.status < 200 || response.status >= 300)
    throw failureOf(operation, response, nowMs, tokensCall);
  const parsed = schema.safeParse(parseJson(response.text));
  if (!parsed.success)
    throw protocolFailure(TELENOR, operation, 'the body does not have the documented shape', response.status);
  return parsed.data;
}
