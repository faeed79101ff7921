import { z } from 'zod';
import { protocolFailure } from '../../domain/classify-http.js';
import type { HttpResponse } from '../../lib/http-client.js';
import { documented, failureOf, isSuccess, parseJson, type VendorWire } from '../vendor-wire.js';

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

/** The first v4 error of an envelope: its code and message. */
function firstError(body: unknown): z.infer<typeof messageSchema> | undefined {
  const envelope = errorEnvelopeSchema.safeParse(body);
  return envelope.success ? envelope.data.errors[0] : undefined;
}

export const cloudflareWire: VendorWire = {
  system: CLOUDFLARE,
  errorOf(body) {
    const first = firstError(body);
    return first && { code: String(first.code), message: first.message };
  },
};

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
  if (!isSuccess(response)) throw failureOf(cloudflareWire, operation, response, nowMs);
  const body = parseJson(response.text);
  const envelope = successEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    const code = firstError(body)?.code;
    throw protocolFailure(
      CLOUDFLARE,
      operation,
      code === undefined ? 'not a v4 success envelope' : `success:false with code ${code}`,
      response.status,
    );
  }
  const result = documented(cloudflareWire, operation, response, envelope.data.result, schema, 'result');
  return { result, resultInfo: envelope.data.result_info };
}
