import { z } from 'zod';
import { durationSchema } from '../domain/duration-schema.js';
import { POLICY_ID_PATTERN } from '../domain/ids.js';
import { type SecretReference, secretReferenceSchema } from '../domain/secret-reference.js';
import { urlUserInfo } from '../domain/url-schema.js';
import { awsSecretsManagerSettingsSchema } from '../sinks/aws-secrets-manager/aws-sm.settings.js';
import { alertsSchema } from './alerts.schema.js';
import { consumersSchema } from './consumers.schema.js';
import { scheduleSchema } from './schedule.schema.js';
import { windowsSchema } from './windows.schema.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const nameSchema = z.string().regex(NAME, 'expected letters, digits, "-" and "_" (at most 63)');

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const sentinelAddressSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
});

const redisSchema = z
  .strictObject({
    /** One Redis; absent (and no `sentinels`) = redis://127.0.0.1:6379. */
    url: z
      .url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' })
      .refine(
        (url) => !urlUserInfo(url)?.password,
        'put the password in `password` as a secret reference, not in the URL',
      )
      .optional(),
    /** Redis Sentinel instead of `url`: the sentinels to ask, and the master group's `name`. */
    sentinels: z.array(sentinelAddressSchema).min(1, 'expected at least one sentinel').optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected the master group name as the sentinels know it')
      .optional(),
    /** The sentinels' own password (`requirepass` in sentinel.conf), by reference. */
    sentinelPassword: secretReferenceSchema.optional(),
    /** TLS to the sentinels and the master (Sentinel mode; with `url`, use rediss://). */
    tls: z.boolean().optional(),
    /** The Redis master's password, by reference. */
    password: secretReferenceSchema.optional(),
    /**
     * `WAIT 1 <timeout>` after the writes a resumed run depends on (a run's start, a freshly issued credential's
     * journal entry, the commit): `auto` waits while the master reports a connected replica, `on` always.
     */
    replicaWait: z
      .strictObject({
        mode: z.enum(['auto', 'on', 'off']).default('auto'),
        timeout: durationSchema.default(1_000),
      })
      .prefault({}),
    /** Prefix of every key rotor and its queue write. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'expected letters, digits, "-" and "_" (at most 32)')
      .default('rotor'),
  })
  .superRefine((redis, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (redis.sentinels === undefined) {
      for (const key of ['name', 'sentinelPassword', 'tls'] as const) {
        if (redis[key] !== undefined) problem(key, 'only with `sentinels`');
      }
      return;
    }
    if (redis.url !== undefined) problem('url', 'give either `url` or `sentinels`, not both');
    if (redis.name === undefined) problem('name', 'expected the master group name with `sentinels`');
  })
  .transform((redis) =>
    redis.sentinels === undefined ? { ...redis, url: redis.url ?? DEFAULT_REDIS_URL } : redis,
  );

const journalSchema = z.strictObject({
  /** Each key: base64 of 32 random bytes, by reference. */
  keys: z
    .record(nameSchema, secretReferenceSchema)
    .refine((keys) => Object.keys(keys).length > 0, 'expected at least one key'),
  /** The key new journal entries are encrypted with; older keys keep decrypting. */
  active: nameSchema,
});

const namedApiTokenSchema = z.strictObject({ name: nameSchema, token: secretReferenceSchema });
type ApiTokenInput = { readonly name?: string; readonly token: SecretReference };

/**
 * A bearer token: a reference, or `{ name, token: reference }`. The run history records the name of the token
 * that asked for a run (an unnamed token's fingerprint).
 */
const apiTokenSchema = z.unknown().transform((value, ctx): ApiTokenInput => {
  const named = typeof value === 'object' && value !== null && ('token' in value || 'name' in value);
  const parsed = named
    ? namedApiTokenSchema.safeParse(value)
    : secretReferenceSchema.transform((token) => ({ token })).safeParse(value);
  if (parsed.success) return parsed.data;
  for (const { path, message, ...issue } of parsed.error.issues) {
    if (issue.code !== 'unrecognized_keys') ctx.addIssue({ code: 'custom', path, message });
    else
      for (const key of issue.keys)
        ctx.addIssue({ code: 'custom', path: [...path, key], message: `unknown key "${key}"` });
  }
  return z.NEVER;
});

const apiTimeoutSchema = (defaultMs: number) =>
  durationSchema
    .refine((ms) => ms >= 100 && ms <= 600_000, { message: 'expected a duration between 100ms and 10m' })
    .default(defaultMs);

/** The HTTP API; absent = no API server. */
const apiSchema = z
  .strictObject({
    /** Address to listen on; 0.0.0.0 in a container. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8080),
    /** Bearer tokens accepted, by reference; several allow rotating them without downtime. */
    tokens: z.array(apiTokenSchema).min(1, 'expected at least one token reference'),
    /** A client must have sent its request's headers this long after it started sending them. */
    headersTimeout: apiTimeoutSchema(10_000),
    /** … and its whole request (headers and body) this long after it started. */
    requestTimeout: apiTimeoutSchema(30_000),
    /** An idle keep-alive connection is closed after this long. */
    keepAliveTimeout: apiTimeoutSchema(5_000),
    /** A connection on which nothing moves either way for this long is closed (longer than the slowest answer). */
    connectionTimeout: apiTimeoutSchema(30_000),
    /** Open connections at most; more are closed at once, so clients cannot use up the daemon's file descriptors. */
    maxConnections: z.number().int().min(1).max(100_000).default(100),
    /** The BullMQ dashboard at /admin/queues, behind the same tokens. */
    dashboard: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** false lets the dashboard retry, promote and remove jobs. */
        readOnly: z.boolean().default(true),
      })
      .prefault({}),
  })
  .superRefine((api, ctx) => {
    if (api.headersTimeout > api.requestTimeout)
      ctx.addIssue({ code: 'custom', path: ['headersTimeout'], message: 'expected at most requestTimeout' });
    const named = new Set<string>();
    api.tokens.forEach(({ name }, index) => {
      if (name === undefined) return;
      if (named.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['tokens', index, 'name'],
          message: `duplicate token name "${name}"`,
        });
      named.add(name);
    });
  });

const workerSchema = z.strictObject({
  concurrency: z.number().int().min(1).max(256).default(4),
  lockDuration: durationSchema.default(30_000),
  stalledInterval: durationSchema.default(30_000),
  maxStalledCount: z.number().int().min(0).max(100).default(1),
});

export const policySchema = z.strictObject({
  id: z
    .string()
    .regex(
      POLICY_ID_PATTERN,
      'expected lowercase letters, digits and hyphens (at most 63), starting with a letter or digit',
    ),
  connection: z.string().min(1),
  action: z.string().min(1),
  /** Checked by the connection's provider. */
  target: z.unknown(),
  schedule: scheduleSchema,
  /** When this policy's rotations may start; each of `allowed` and `freezes` given here replaces the default's. */
  windows: windowsSchema.optional(),
  gracePeriod: durationSchema.optional(),
  /** The services that use the secret: told to reload after promote, and asked (or telling) which version they use. */
  consumers: consumersSchema.optional(),
  /** The longest a displaced credential's revoke waits for the consumers' confirmations. */
  maxGrace: durationSchema.optional(),
  /** When consumers have not confirmed by maxGrace: keep the displaced credential live (hold) or revoke it. */
  onUnconfirmed: z.enum(['hold', 'revoke']).optional(),
  verify: z.unknown().optional(),
  secret: z.strictObject({
    id: z.string().min(1).max(2048),
    adopt: z.boolean().default(false),
  }),
  retry: z
    .strictObject({
      attempts: z.number().int().min(1).max(100).default(8),
      backoff: durationSchema.default(5_000),
      maxBackoff: durationSchema.default(600_000),
      /** Failed runs in a row after which the policy stops firing on schedule (needs attention). */
      needsAttentionAfter: z.number().int().min(1).max(100).default(3),
    })
    .prefault({}),
});
export type PolicyInput = z.infer<typeof policySchema>;

export const configSchema = z.strictObject({
  redis: redisSchema.prefault({}),
  journal: journalSchema,
  worker: workerSchema.prefault({}),
  api: apiSchema.optional(),
  alerts: alertsSchema.optional(),
  sink: awsSecretsManagerSettingsSchema,
  /** When rotations may start, for every policy that does not say otherwise. */
  rotationWindows: windowsSchema.optional(),
  connections: z.record(
    nameSchema,
    z.looseObject({ provider: z.string({ error: 'expected a provider id' }) }),
  ),
  policies: z.array(policySchema),
});
export type ConfigInput = z.infer<typeof configSchema>;
