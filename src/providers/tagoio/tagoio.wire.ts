import { z } from 'zod';
import { protocolFailure } from '../../domain/classify-http.js';
import { RotationError } from '../../domain/errors.js';
import { sanitizeVendorMessage } from '../../domain/sanitize.js';
import type { HttpResponse } from '../../lib/http-client.js';
import { documented, failureOf, isSuccess, parseJson, type VendorWire } from '../vendor-wire.js';

export const TAGOIO = 'tagoio';

const successSchema = z.looseObject({ status: z.literal(true), result: z.unknown() });
/** Both documented error shapes: `{status: false, message}` and `{status: false, result: {message}}`. */
const failureSchema = z.looseObject({
  status: z.literal(false),
  message: z.string().optional(),
  result: z.union([z.looseObject({ message: z.string().optional() }), z.string(), z.null()]).optional(),
});

export interface UnwrapOptions {
  /**
   * The path names one token (`/serviceauth/{token}`): a 404 in TagoIO's own error envelope then means the
   * token is gone (`not-found`). Every other 404 (a fixed path, or a body that is not TagoIO's) says the
   * base URL is wrong, which must never pass for "gone".
   */
  readonly notFoundMeansGone?: boolean;
}

const saysStatusFalse = (body: unknown): boolean =>
  typeof body === 'object' && body !== null && (body as { status?: unknown }).status === false;

function messageOf(failure: z.infer<typeof failureSchema>): string | undefined {
  return (
    failure.message ??
    (typeof failure.result === 'object' ? failure.result?.message : failure.result) ??
    undefined
  );
}

export const tagoioWire: VendorWire = {
  system: TAGOIO,
  errorOf(body) {
    const failed = failureSchema.safeParse(body);
    return failed.success ? { message: messageOf(failed.data) } : undefined;
  },
};

/** The `result` of a `{status: true, result}` envelope parsed with `schema`, or a classified failure. */
export function unwrap<T>(
  operation: string,
  response: HttpResponse,
  schema: z.ZodType<T>,
  nowMs: number,
  options: UnwrapOptions = {},
): T {
  const body = parseJson(response.text);
  // Only a body that says `status: false` can be the failure envelope: a success is not parsed as one.
  const failed = saysStatusFalse(body) ? failureSchema.safeParse(body) : undefined;
  const ok = isSuccess(response);
  if (response.status === 404 && !(options.notFoundMeansGone && failed?.success)) {
    throw new RotationError(
      'invalid-config',
      `${TAGOIO} ${operation} failed with HTTP 404 outside TagoIO's API: check the connection's region or baseUrl`,
      { system: TAGOIO, operation, status: 404 },
    );
  }
  if (ok && failed?.success) {
    const said = messageOf(failed.data);
    const vendorMessage = said ? sanitizeVendorMessage(said) : undefined;
    // TagoIO can answer HTTP 200 with status false (the JS SDK hands that back as a value): the request was
    // refused for a reason only its message gives, so it stops the run like a 4xx would.
    throw new RotationError(
      'invalid-config',
      `${TAGOIO} ${operation} was refused (HTTP ${response.status}, status false${vendorMessage ? `: ${vendorMessage}` : ''})`,
      { system: TAGOIO, operation, status: response.status },
    );
  }
  if (!ok) throw failureOf(tagoioWire, operation, response, nowMs);
  const envelope = successSchema.safeParse(body);
  if (!envelope.success) {
    throw protocolFailure(TAGOIO, operation, 'not a {status: true, result} envelope', response.status);
  }
  return documented(tagoioWire, operation, response, envelope.data.result, schema, 'result');
}
