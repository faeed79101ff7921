import { z } from 'zod';
import { secretReferenceSchema } from '../../domain/secret-reference.js';
import { connectionBaseUrlSchema } from '../../domain/url-schema.js';

export const TELENOR_API_BASE_URL = 'https://api.nbiot.telenor.io';

/** The tags rotor puts on every token it creates (`managed-by: rotor`, `policy: <id>`, `run: <run id>`). */
export const ROTOR_TAG_NAMES: readonly string[] = ['managed-by', 'policy', 'run'];

const TAG_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Tag names are lower-case; an empty value removes a tag (the API's rules). rotor's own names are reserved. */
const tagsSchema = z
  .record(z.string(), z.string().min(1, 'expected a tag value (Telenor drops tags with empty values)'))
  .superRefine((tags, ctx) => {
    for (const name of Object.keys(tags)) {
      if (!TAG_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'expected a lower-case tag name' });
      } else if (ROTOR_TAG_NAMES.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `rotor sets the tags ${ROTOR_TAG_NAMES.join(', ')} itself`,
        });
      }
    }
  });

/**
 * A Telenor NB-IoT (Horde) connection. The documented API manages `/tokens` only from a CONNECT ID login,
 * so rotation needs `session` (the browser session's Cookie header value); `apiToken` serves deployments
 * that accept an API token there. Precedence: with both, every `/tokens` call presents the session and the
 * API token is not sent (no fallback, so an expired session is reported, not masked).
 */
export const telenorConnectionSchema = z
  .strictObject({
    baseUrl: connectionBaseUrlSchema.default(TELENOR_API_BASE_URL),
    /** The Cookie header value of a CONNECT ID session, by reference. Sessions expire: renew it by hand. */
    session: secretReferenceSchema.optional(),
    /** An API token sent as X-API-Token, by reference, for deployments that accept it on /tokens. */
    apiToken: secretReferenceSchema.optional(),
  })
  .refine((connection) => connection.session !== undefined || connection.apiToken !== undefined, {
    path: ['session'],
    message: 'expected session (CONNECT ID cookie) or apiToken',
  });
export type TelenorConnectionConfig = z.infer<typeof telenorConnectionSchema>;

/** What the new token may do; each field, when absent, is copied from the current token. */
export const telenorTargetSchema = z.strictObject({
  /** e.g. `/`, `/teams/{id}`, `/collections/{id}`. */
  resource: z
    .string()
    .regex(/^\/[^\s]*$/, 'expected a resource path such as / or /collections/{id}')
    .optional(),
  write: z.boolean().optional(),
  /** Extra tags on the new token (rotor adds managed-by, policy and run). */
  tags: tagsSchema.optional(),
});
export type TelenorTarget = z.infer<typeof telenorTargetSchema>;

/** The document rotor stores in the sink: the token is both the secret and its own id. */
export const telenorCredentialSchema = z.strictObject({
  token: z.string().min(16),
  resource: z.string(),
  write: z.boolean(),
  tags: z.record(z.string(), z.string()),
});
export type TelenorCredential = z.infer<typeof telenorCredentialSchema>;
