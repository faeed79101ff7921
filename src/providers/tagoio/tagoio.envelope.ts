import { z } from 'zod';
import { httpFailure, protocolFailure } from '../../domain/classify-http.js';
import { parseRetryAfter } from '../../domain/retry-after.js';
import { sanitizeVendorMessage } from '../../domain/sanitize.js';
import type { HttpResponse } from '../../lib/http-client.js';

export const TAGOIO = 'tagoio';

const successSchema = z.looseObject({ status: z.literal(true), result: z.unknown() });
const failureSchema = z.looseObject({
  status: z.literal(false),
  message: z.string().optional(),
  result: z.union([z.looseObject({ message: z.string().optional() }), z.string(), z.null()]).optional(),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The `result` of a `{status: true, result}` envelope parsed with `schema`, or a classified failure. */
export function unwrap<T>(operation: string, response: HttpResponse, schema: z.ZodType<T>, nowMs: number): T {
  const body = parseJson(response.text);
  const failed = failureSchema.safeParse(body);
  if (response.status < 200 || response.status >= 300 || failed.success) {
    const vendor = failed.success
      ? (failed.data.message ??
        (typeof failed.data.result === 'object' ? failed.data.result?.message : failed.data.result))
      : undefined;
    throw httpFailure({
      system: TAGOIO,
      operation,
      // TagoIO can answer HTTP 200 with status false: treat it as the request being refused.
      status: response.status >= 300 ? response.status : 400,
      retryAfterMs: parseRetryAfter(response.headers['retry-after'], nowMs),
      vendorMessage: vendor ? sanitizeVendorMessage(vendor) : undefined,
    });
  }
  const envelope = successSchema.safeParse(body);
  const result = envelope.success ? schema.safeParse(envelope.data.result) : undefined;
  if (!result?.success)
    throw protocolFailure(
      TAGOIO,
      operation,
      'not a {status: true, result} envelope of the documented shape',
      response.status,
    );
  return result.data;
}
