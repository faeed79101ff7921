import { z } from 'zod';
import { durationSchema } from '../../domain/duration-schema.js';
import { secretReferenceSchema } from '../../domain/secret-reference.js';
import { connectionBaseUrlSchema } from '../../domain/url-schema.js';

/** The SDKs' region table. */
export const TAGOIO_REGIONS = {
  'us-e1': 'https://api.tago.io',
  'eu-w1': 'https://api.eu-w1.tago.io',
} as const;

export type TagoioRegion = keyof typeof TAGOIO_REGIONS;

/**
 * A TagoIO profile: its token (sent in the `token` header) and where its API is: exactly one of `region`
 * (mapped to the SDKs' base URL) or `baseUrl`. There is no default region: a profile lives in one region,
 * and its token must not be sent to another.
 */
export const tagoioConnectionSchema = z
  .strictObject({
    /** A profile (account) token, or an analysis token with the Service Authorization policy. */
    token: secretReferenceSchema,
    region: z.enum(['us-e1', 'eu-w1']).optional(),
    /** TagoIO Deploy (`https://api.<id>.tagoio.net`) or another endpoint; instead of region. */
    baseUrl: connectionBaseUrlSchema.optional(),
  })
  .refine((connection) => connection.region === undefined || connection.baseUrl === undefined, {
    path: ['baseUrl'],
    message: 'expected region or baseUrl, not both',
  })
  .refine((connection) => connection.region !== undefined || connection.baseUrl !== undefined, {
    path: ['region'],
    message: 'expected region (us-e1 or eu-w1) or baseUrl',
  });
export type TagoioConnectionConfig = z.infer<typeof tagoioConnectionSchema>;

export const tagoioTargetSchema = z.strictObject({
  /** Name of the new tokens; rotor appends ` rotor:<policy>:<run>` so it can recognise its own. */
  name: z.string().min(1).max(100),
  permission: z.enum(['full', 'write', 'read', 'deny']).default('full'),
  /** How long each new token lives (its expire_time), or `never` (default). */
  expireTime: z
    .union([z.literal('never'), durationSchema], { error: 'expected never or a duration such as 90d' })
    .default('never'),
  /** The verification code middleware checks; not a secret (TagoIO lists it with the token). */
  verificationCode: z.string().min(1).max(200).optional(),
});
export type TagoioTarget = z.infer<typeof tagoioTargetSchema>;

/** The document rotor stores in the sink: the token is both the secret and its own id. */
export const tagoioCredentialSchema = z.strictObject({
  token: z.string().min(8),
  name: z.string(),
  permission: z.string(),
  /** RFC 3339, or null for tokens that never expire. */
  expireTime: z.string().nullable(),
});
export type TagoioCredential = z.infer<typeof tagoioCredentialSchema>;
