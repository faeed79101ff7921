import { z } from 'zod';
import { durationSchema } from '../../domain/duration-schema.js';
import { secretReferenceSchema } from '../../domain/secret-reference.js';
import { httpUrlSchema } from '../../domain/url-schema.js';
import { rateLimitSchema } from '../../rate-limit/rate-limit.js';

export const awsSecretsManagerSettingsSchema = z.strictObject({
  type: z.literal('aws-secrets-manager'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS region such as eu-north-1'),
  /** Override for tests and the bundled emulator; the SDK's regional endpoint otherwise. */
  endpoint: httpUrlSchema('remove them; the AWS credentials go in `credentials`, by reference').optional(),
  /** KMS key for secrets rotor creates; AWS's default key (aws/secretsmanager) when absent. */
  kmsKeyId: z.string().min(1).max(2048).optional(),
  /** Extra tags on secrets rotor creates, beside rotor's own `managed-by` and `rotor-policy`. */
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
  /** Static credentials by reference; the AWS SDK's default chain (role, env, profile) when absent. */
  credentials: z
    .strictObject({
      accessKeyId: secretReferenceSchema,
      secretAccessKey: secretReferenceSchema,
      sessionToken: secretReferenceSchema.optional(),
    })
    .optional(),
  /** Deadline for one AWS call. */
  timeout: durationSchema.default(10_000),
  /**
   * rotor's limit on its writes (PutSecretValue, UpdateSecretVersionStage, UpdateSecret), shared by every
   * replica; AWS allows those together 50 per second per region. `false` turns it off.
   */
  rateLimit: rateLimitSchema.prefault({ requests: 50, per: '1s' }),
});
export type AwsSecretsManagerSettings = z.infer<typeof awsSecretsManagerSettingsSchema>;
