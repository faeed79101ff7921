import { z } from 'zod';
import { secretReferenceSchema } from '../../domain/secret-reference.js';

export const MOOV_API_BASE_URL = 'https://api.moov.io';
/** The API version rotor was written against; Moov answers older versions' shapes for older values. */
export const MOOV_DEFAULT_VERSION = 'v2026.07.00';

/** A Moov API key (public + secret key, sent as HTTP Basic) and how to reach the API. */
export const moovConnectionSchema = z.strictObject({
  publicKey: secretReferenceSchema,
  secretKey: secretReferenceSchema,
  baseUrl: z.url({ protocol: /^https?$/ }).default(MOOV_API_BASE_URL),
  /** X-Moov-Version on every call. */
  moovVersion: z
    .string()
    .regex(/^v\d{4}\.\d{2}\.\d{2}$/, 'expected a version such as v2026.07.00')
    .default(MOOV_DEFAULT_VERSION),
  /** For keys with a domain list: sent as Origin on token calls (Moov checks it there). */
  origin: z
    .url({ protocol: /^https$/, error: 'expected an https:// origin such as https://app.example.com' })
    .optional(),
});
export type MoovConnectionConfig = z.infer<typeof moovConnectionSchema>;

export const moovTargetSchema = z.strictObject({
  /** Space-separated scopes of the minted token, e.g. "/accounts.read /ping.read". */
  scope: z
    .string()
    .regex(/^\/\S+( \/\S+)*$/, 'expected space-separated scopes such as /accounts.read /ping.read'),
  /**
   * refreshToken only: when Moov refuses the stored refresh token, mint a new pair with client_credentials
   * instead of failing. Default false: the failure raises an alert and the current token stays in place.
   */
  fallbackToClientCredentials: z.boolean().default(false),
});
export type MoovTarget = z.infer<typeof moovTargetSchema>;

/** The document rotor stores in the sink: the token pair as Moov minted it. */
export const moovCredentialSchema = z.strictObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  token_type: z.string(),
  scope: z.string(),
  /** RFC 3339. */
  expires_at: z.iso.datetime({ offset: true }),
});
export type MoovCredential = z.infer<typeof moovCredentialSchema>;
