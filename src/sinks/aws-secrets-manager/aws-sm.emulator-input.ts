import { type ZodType, z } from 'zod';
import { AwsApiError } from './aws-sm.emulator-errors.js';

// Input shapes and constraints from the Secrets Manager API model (service-2.json). Unknown members are
// ignored, as AWS does.

const secretId = z.string().min(1).max(2048);
const versionId = z.string().min(32).max(64);
const versionStage = z.string().min(1).max(256);
const tag = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) });
const secretString = z.string().min(1).max(65_536);
// Base64 of up to 65536 bytes.
const secretBinary = z.string().min(1).max(87_384);

export const createSecretInput = z.object({
  Name: z.string().min(1).max(512),
  ClientRequestToken: versionId.optional(),
  Description: z.string().max(2048).optional(),
  KmsKeyId: z.string().max(2048).optional(),
  SecretString: secretString.optional(),
  SecretBinary: secretBinary.optional(),
  Tags: z.array(tag).optional(),
});

export const describeSecretInput = z.object({ SecretId: secretId });

export const getSecretValueInput = z.object({
  SecretId: secretId,
  VersionId: versionId.optional(),
  VersionStage: versionStage.optional(),
});

export const putSecretValueInput = z.object({
  SecretId: secretId,
  ClientRequestToken: versionId.optional(),
  SecretString: secretString.optional(),
  SecretBinary: secretBinary.optional(),
  VersionStages: z.array(versionStage).min(1).max(20).optional(),
  RotationToken: z.string().min(36).max(256).optional(),
});

export const updateSecretVersionStageInput = z.object({
  SecretId: secretId,
  VersionStage: versionStage,
  RemoveFromVersionId: versionId.optional(),
  MoveToVersionId: versionId.optional(),
});

export const listSecretVersionIdsInput = z.object({
  SecretId: secretId,
  MaxResults: z.number().int().min(1).max(100).optional(),
  NextToken: z.string().min(1).max(4096).optional(),
  IncludeDeprecated: z.boolean().optional(),
});

/** The filter keys the emulator answers; AWS's word-matching `description` and `all` are refused, not guessed. */
export const LIST_FILTER_KEYS = ['name', 'tag-key', 'tag-value'] as const;

export const listSecretsInput = z.object({
  MaxResults: z.number().int().min(1).max(100).optional(),
  NextToken: z.string().min(1).max(4096).optional(),
  IncludePlannedDeletion: z.boolean().optional(),
  SortOrder: z.enum(['asc', 'desc']).optional(),
  Filters: z
    .array(
      z.object({
        Key: z.string(),
        Values: z.array(z.string().min(1).max(512)).min(1).max(10),
      }),
    )
    .max(10)
    .optional(),
});

export const tagResourceInput = z.object({ SecretId: secretId, Tags: z.array(tag) });

export const untagResourceInput = z.object({
  SecretId: secretId,
  TagKeys: z.array(z.string().min(1).max(128)),
});

const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

function constraintOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'number'
        ? `Member must have value greater than or equal to ${issue.minimum}`
        : `Member must have length greater than or equal to ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'number'
        ? `Member must have value less than or equal to ${issue.maximum}`
        : `Member must have length less than or equal to ${issue.maximum}`;
    default:
      return 'Member must not be null';
  }
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/**
 * Validates an operation's input as AWS's request layer does: a member of the wrong JSON type is a
 * SerializationException; a missing required member or a broken constraint is a ValidationException.
 * Unlike AWS, messages never echo the offending value (it may be a secret).
 */
export function parseInput<T>(schema: ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const wrongType = issues.find(
    (issue) => issue.code === 'invalid_type' && valueAt(body, issue.path) !== undefined,
  );
  if (wrongType) {
    throw new AwsApiError(
      'SerializationException',
      wrongType.path.length === 0
        ? 'The request body is not a JSON object.'
        : `Unexpected value type for member '${wrongType.path.join('.')}'`,
    );
  }
  const details = issues.map((issue) => {
    const path = issue.path
      .map((part) => (typeof part === 'string' ? lowerFirst(part) : String(part)))
      .join('.');
    const value = issue.code === 'invalid_type' ? 'Value null' : 'Value';
    return `${value} at '${path}' failed to satisfy constraint: ${constraintOf(issue)}`;
  });
  const count = details.length === 1 ? '1 validation error' : `${details.length} validation errors`;
  throw new AwsApiError('ValidationException', `${count} detected: ${details.join('; ')}`);
}
