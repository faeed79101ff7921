import { z } from 'zod';
import { secretReferenceSchema } from '../../domain/secret-reference.js';
import { connectionBaseUrlSchema, httpUrlSchema } from '../../domain/url-schema.js';

export const CLOUDFLARE_API_BASE_URL = 'https://api.cloudflare.com/client/v4';

const scopeId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'expected a Cloudflare account or zone id');

/**
 * A Cloudflare connection: exactly one scope (account or zone) and exactly one auth scheme
 * (an API token, or the global API key with its email).
 */
export const cloudflareConnectionSchema = z
  .strictObject({
    accountId: scopeId.optional(),
    zoneId: scopeId.optional(),
    apiToken: secretReferenceSchema.optional(),
    email: z.email().optional(),
    apiKey: secretReferenceSchema.optional(),
    baseUrl: connectionBaseUrlSchema.default(CLOUDFLARE_API_BASE_URL),
  })
  .superRefine((connection, ctx) => {
    if ((connection.accountId === undefined) === (connection.zoneId === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['accountId'],
        message: 'expected exactly one of accountId or zoneId',
      });
    }
    const usesKey = connection.email !== undefined || connection.apiKey !== undefined;
    if (connection.apiToken !== undefined && usesKey) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiToken'],
        message: 'expected either apiToken or email + apiKey, not both',
      });
    } else if (connection.apiToken === undefined && !usesKey) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiToken'],
        message: 'expected apiToken, or email + apiKey (global API key)',
      });
    } else if (usesKey && (connection.email === undefined || connection.apiKey === undefined)) {
      const path = connection.email === undefined ? 'email' : 'apiKey';
      ctx.addIssue({
        code: 'custom',
        path: [path],
        message: 'the global API key needs both email and apiKey',
      });
    }
  });
export type CloudflareConnectionConfig = z.infer<typeof cloudflareConnectionSchema>;

export const cloudflareTargetSchema = z.strictObject({
  /** The Access service token's id (a UUID). */
  serviceTokenId: z.string().regex(/^[A-Za-z0-9-]{1,36}$/, 'expected a service token id (UUID)'),
});
export type CloudflareTarget = z.infer<typeof cloudflareTargetSchema>;

export const cloudflareVerifySchema = z.strictObject({
  /** An Access-protected URL probed with the new CF-Access-Client-Id/Secret pair. */
  url: httpUrlSchema('remove them; the probe authenticates with the new service token only'),
});
export type CloudflareVerifySettings = z.infer<typeof cloudflareVerifySchema>;

/** The document rotor stores in the sink for a Cloudflare Access service token. */
export const cloudflareCredentialSchema = z.strictObject({
  serviceTokenId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** RFC 3339; null for tokens that never expire (`duration: forever`). */
  expiresAt: z.iso.datetime({ offset: true }).nullable(),
});
export type CloudflareCredential = z.infer<typeof cloudflareCredentialSchema>;
