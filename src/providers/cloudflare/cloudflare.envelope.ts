import { z } from 'zod';
import { httpFailure, protocolFailure } from '../../domain/classify-http.js';
import type { RotationError } from '../../domain/errors.js';
import { parseRetryAfter } from '../../domain/retry-after.js';
import { sanitizeVendorMessage } from '../../domain/sanitize.js';
import type { HttpResponse } from '../../lib/http-client.js';

export const CLOUDFLARE = 'cloudflare';

const messageSchema = z.looseObject({ code: z.number(), message: z.string() });
const errorEnvelopeSchema = z.looseObject({
  success: z.literal(false).optional(),
  errors: z.array(messageSchema),
});
const successEnvelopeSchema = z.looseObject({
  success: z.literal(true),
  result: z.unknown(),
  result_info: z.unknown().optional(),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A failed call as a RotationError: status, the first v4 error code and its sanitised message. */
function failureOf(operation: string, response: HttpResponse, nowMs: number): RotationError {
  const envelope = errorEnvelopeSchema.safeParse(parseJson(response.text));
  const first = envelope.success ? envelope.data.errors[0] : undefined;
  return httpFailure({
    system: CLOUDFLARE,
    operation,
    status: response.status,
    retryAfterMs: parseRetryAfter(response.headers['retry-after'], nowMs),
    vendorCode: first === undefined ? undefined : String(first.code),
    vendorMessage: first === undefined ? undefined : sanitizeVendorMessage(first.message),
  });
}

/**
 * Unwraps a v4 envelope: the `result` parsed with `schema`, or a classified failure. A 2xx that is not a
 * successful envelope of the documented shape is a protocol failure.
 */
export function unwrap<T>(
  operation: string,
  response: HttpResponse,
  schema: z.ZodType<T>,
  nowMs: number,
): { result: T; resultInfo: unknown } {
  if (response.status < 200 || response.status >= 300) throw failureOf(operation, response, nowMs);
  const envelope = successEnvelopeSchema.safeParse(parseJson(response.text));
  if (!envelope.success) {
    const failed = errorEnvelopeSchema.safeParse(parseJson(response.text));
    const code = failed.success ? failed.data.errors[0]?.code : undefined;
    throw protocolFailure(
      CLOUDFLARE,
      operation,
      code === undefined ? 'not a v4 success envelope' : `success:false with code ${code}`,
      response.status,
    );
  }
  const result = schema.safeParse(envelope.data.result);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || 'result'))].join(
      ', ',
    );
    throw protocolFailure(
      CLOUDFLARE,
      operation,
      `result fields ${fields} do not match the documented shape`,
      response.status,
    );
  }
  return { result: result.data, resultInfo: envelope.data.result_info };
}
