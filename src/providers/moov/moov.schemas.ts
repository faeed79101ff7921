import { z } from 'zod';
import { secretReferenceSchema } from '../../domain/secret-reference.js';
import { connectionBaseUrlSchema } from '../../domain/url-schema.js';

export const MOOV_API_BASE_URL = 'https://api.moov.io';
/**
 * The X-Moov-Version rotor was written against (the official SDK 26.x sends the same). Moov answers an
 * unknown well-formed version with the newest version not newer than it, and a malformed one with 404.
 */
export const MOOV_DEFAULT_VERSION = 'v2026.07.00';
export const MOOV_VERSION_PATTERN = /^v\d{4}\.\d{2}\.\d{2}$/;

/** Space-separated scopes, each starting with `/`: `/accounts.read /accounts/{id}/transfers.write`. */
const SCOPE_PATTERN = /^\/\S+( \/\S+)*$/;

/** The scopes of a scope string, as a set (Moov's order is not meaningful). */
export function scopesOf(scope: string): Set<string> {
  return new Set(scope.split(' ').filter((part) => part !== ''));
}

/** A Moov API key (public + secret key, sent as HTTP Basic) and how to reach the API. */
export const moovConnectionSchema = z.strictObject({
  publicKey: secretReferenceSchema,
  secretKey: secretReferenceSchema,
  baseUrl: connectionBaseUrlSchema.default(MOOV_API_BASE_URL),
  /** X-Moov-Version on every call. */
  moovVersion: z
    .string()
    .regex(MOOV_VERSION_PATTERN, 'expected a version such as v2026.07.00')
    .default(MOOV_DEFAULT_VERSION),
  /**
   * For keys with a domain list: sent as Origin on every call (Moov checks it on token calls and on calls
   * made with the token). An origin only: scheme and host, no path.
   */
  origin: z
    .url({ protocol: /^https$/, error: 'expected an https:// origin such as https://app.example.com' })
    .refine((value) => /^https:\/\/[^/?#]+\/?$/.test(value), {
      error: 'expected an origin (scheme and host, no path) such as https://app.example.com',
    })
    .transform((value) => new URL(value).origin)
    .optional(),
});
export type MoovConnectionConfig = z.infer<typeof moovConnectionSchema>;

export const moovTargetSchema = z.strictObject({
  /** Space-separated scopes of the minted token, e.g. "/accounts.read /ping.read". */
  scope: z.string().regex(SCOPE_PATTERN, 'expected space-separated scopes such as /accounts.read /ping.read'),
  /**
   * refreshToken only: when Moov refuses the stored refresh token, mint a new pair with client_credentials
   * instead of failing. Default false: the failure raises an alert and the current token stays in place.
   */
  fallbackToClientCredentials: z.boolean().default(false),
  /**
   * Revoke the displaced pair's refresh token too, not only its access token (default true). Turn it off
   * for refreshToken policies if the Moov account revokes a whole grant when one of its refresh tokens is
   * revoked (RFC 7009 allows it; unconfirmed for Moov): the displaced refresh token is the one the current
   * pair was refreshed from.
   */
  revokeRefreshToken: z.boolean().default(true),
});
export type MoovTarget = z.infer<typeof moovTargetSchema>;

/** The document rotor stores in the sink: the token pair as Moov minted it. */
export const moovCredentialSchema = z.strictObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  token_type: z.string(),
  scope: z.string(),
  /** ISO 8601 with offset: when the access token expires. */
  expires_at: z.iso.datetime({ offset: true }),
});
export type MoovCredential = z.infer<typeof moovCredentialSchema>;
