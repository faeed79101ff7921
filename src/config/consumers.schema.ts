import { z } from 'zod';
import { durationSchema } from '../domain/duration-schema.js';
import { secretReferenceSchema } from '../domain/secret-reference.js';
import { httpUrlSchema } from '../domain/url-schema.js';

const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'expected letters, digits, "-" and "_"');
const headerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'expected an HTTP header name');
const fieldNameSchema = z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,99}$/, 'expected a JSON field name');

/** Told after promote: a signed message (ids only) saying a new version is current. */
const reloadSchema = z.strictObject({
  url: httpUrlSchema('give credentials through the signing secret, by reference'),
  /** Standard Webhooks signing secret of this consumer (`whsec_…`), by reference. */
  secret: secretReferenceSchema,
  timeout: durationSchema.default(5_000),
  /** Delivery attempts, with backoff, before the reload is recorded as failed. */
  attempts: z.number().int().min(1).max(50).default(8),
});

/** rotor asks the consumer which AWS version id it uses: a JSON field of the answer, or a header. */
const pollSchema = z
  .strictObject({
    poll: httpUrlSchema('a confirmation URL is read without credentials'),
    field: fieldNameSchema.optional(),
    header: headerNameSchema.optional(),
    every: durationSchema.default(30_000),
    timeout: durationSchema.default(5_000),
  })
  .refine((poll) => poll.field === undefined || poll.header === undefined, {
    message: 'expected field or header, not both',
  });

/** The consumer posts to `/v1/policies/:id/versions/:versionId/ack` with this token of its own. */
const ackSchema = z.strictObject({ ack: secretReferenceSchema });

export const consumerSchema = z
  .strictObject({
    /** Names the consumer in status, metrics, alerts and logs. */
    name: nameSchema,
    reload: reloadSchema.optional(),
    confirm: z.union([pollSchema, ackSchema]).optional(),
  })
  .refine((consumer) => consumer.reload !== undefined || consumer.confirm !== undefined, {
    message: 'expected reload, confirm, or both',
  });
export type ConsumerInput = z.infer<typeof consumerSchema>;

export const consumersSchema = z
  .array(consumerSchema)
  .max(50)
  .refine((consumers) => new Set(consumers.map((consumer) => consumer.name)).size === consumers.length, {
    message: 'expected unique consumer names',
  });
