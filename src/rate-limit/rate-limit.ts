import { z } from 'zod';
import { durationSchema } from '../domain/duration-schema.js';

/** At most `requests` calls in any window of `perMs`. */
export interface RateLimit {
  readonly requests: number;
  readonly perMs: number;
}

/** `{ requests: 1200, per: 5m }`, or `false` to send without a client-side limit. */
export const rateLimitSchema = z
  .union(
    [
      z.literal(false),
      z.strictObject({
        requests: z.number().int().min(1).max(1_000_000),
        per: durationSchema,
      }),
    ],
    { error: 'expected { requests: <count>, per: <duration> } or false' },
  )
  .transform((value): RateLimit | false =>
    value === false ? false : { requests: value.requests, perMs: value.per },
  );

export function describeRateLimit(limit: RateLimit): string {
  return `${limit.requests} per ${limit.perMs} ms`;
}
