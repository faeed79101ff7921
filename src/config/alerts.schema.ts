import { z } from 'zod';
import { alertEventTypes, defaultAlertEvents } from '../domain/alert-events.js';
import { durationSchema } from '../domain/duration-schema.js';
import { secretReferenceSchema } from '../domain/secret-reference.js';
import { httpUrlSchema } from '../domain/url-schema.js';

const endpointSchema = z
  .strictObject({
    /** Names the endpoint in metrics, status and logs (its URL may be secret). */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'expected letters, digits, "-" and "_"'),
    /** The receiver's URL, or a reference when the URL itself is secret (Slack incoming webhooks). */
    url: z.union([
      httpUrlSchema('remove them, or give the whole URL by reference ({ env: NAME } or { file: PATH })'),
      secretReferenceSchema,
    ]),
    /** Standard Webhooks signing secret (`whsec_…` or base64), by reference; required for `json`. */
    secret: secretReferenceSchema.optional(),
    format: z.enum(['json', 'slack']).default('json'),
    events: z
      .array(z.enum(alertEventTypes))
      .min(1)
      .default([...defaultAlertEvents]),
    timeout: durationSchema.default(5_000),
    /** Delivery attempts before the delivery is kept as dead. */
    attempts: z.number().int().min(1).max(50).default(8),
  })
  .superRefine((endpoint, ctx) => {
    if (endpoint.format === 'json' && endpoint.secret === undefined) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'a json endpoint needs a signing secret' });
    }
  });

export const alertsSchema = z.strictObject({
  /** credential.expiring fires when a credential expires within this and no rotation is due before. */
  expiringWithin: durationSchema.default(7 * 24 * 3_600_000),
  endpoints: z
    .array(endpointSchema)
    .min(1)
    .refine(
      (endpoints) => new Set(endpoints.map((endpoint) => endpoint.name)).size === endpoints.length,
      'expected unique endpoint names',
    ),
});
export type AlertsInput = z.infer<typeof alertsSchema>;
