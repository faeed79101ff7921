import { randomUUID } from 'node:crypto';
import { AwsApiError, invalidParameter, invalidRequest } from './aws-sm.emulator-errors.js';
import {
  createSecretInput,
  describeSecretInput,
  getSecretValueInput,
  LIST_FILTER_KEYS,
  listSecretsInput,
  listSecretVersionIdsInput,
  parseInput,
  putSecretValueInput,
  tagResourceInput,
  untagResourceInput,
  updateSecretVersionStageInput,
} from './aws-sm.emulator-input.js';
import type { SecretValue, StoredSecret, StoredVersion } from './aws-sm.emulator-model.js';
import type { SecretsManagerStore } from './aws-sm.emulator-store.js';

/** One Secrets Manager operation: validated JSON input in, JSON output (undefined = empty body) out. */
type Operation = (store: SecretsManagerStore, body: unknown) => Record<string, unknown> | undefined;

const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]+$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** AWS JSON timestamps: epoch seconds, fractional. */
const seconds = (epochMs: number): number => epochMs / 1000;
/** LastAccessedDate has day resolution: midnight UTC of the access. */
const accessDay = (epochMs: number): number => seconds(Math.floor(epochMs / DAY_MS) * DAY_MS);

function secretValueIn(input: { SecretString?: string | undefined; SecretBinary?: string | undefined }) {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (input.SecretString !== undefined) return { kind: 'string', text: input.SecretString } as const;
  if (input.SecretBinary !== undefined) return { kind: 'binary', base64: input.SecretBinary } as const;
  return undefined;
}

const valueMembers = (value: SecretValue) =>
  value.kind === 'string' ? { SecretString: value.text } : { SecretBinary: value.base64 };

const tagMap = (tags: readonly { Key: string; Value: string }[] | undefined) =>
  new Map((tags ?? []).map((tag) => [tag.Key, tag.Value] as const));

const tagList = (secret: StoredSecret) => [...secret.tags].map(([Key, Value]) => ({ Key, Value }));

const identity = (secret: StoredSecret) => ({ ARN: secret.arn, Name: secret.name });

const stagesByVersion = (secret: StoredSecret) =>
  Object.fromEntries(
    [...secret.versions.values()]
      .filter((version) => version.stages.size > 0)
      .map((version) => [version.versionId, [...version.stages]]),
  );

function versionEntry(secret: StoredSecret, version: StoredVersion) {
  return {
    VersionId: version.versionId,
    VersionStages: [...version.stages],
    ...(version.lastAccessedAt === undefined ? {} : { LastAccessedDate: accessDay(version.lastAccessedAt) }),
    CreatedDate: seconds(version.createdAt),
    KmsKeyIds: [secret.kmsKeyId ?? 'DefaultEncryptionKey'],
  };
}

// Listing pagination: the token is the offset into the listed items.
function decodeNextToken(token: string | undefined): number {
  if (token === undefined) return 0;
  const offset = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new AwsApiError('InvalidNextTokenException', 'The NextToken value is invalid.');
  }
  return offset;
}

const encodeNextToken = (offset: number): string => Buffer.from(String(offset), 'utf8').toString('base64url');

/**
 * One page (default 100) of the items `keep` accepts, and the token of the next page when there is one.
 * Walks only up to the page's end, building nothing for the rest: a fleet's start-up check pages through
 * 100,000 secrets, and copying and filtering the whole store for each of its 1,000 pages made the emulator,
 * not rotor, the slow part of that start.
 */
function page<T>(
  all: Iterable<T>,
  input: { MaxResults?: number | undefined; NextToken?: string | undefined },
  keep: (item: T) => boolean = () => true,
): { items: T[]; nextToken: { NextToken?: string } } {
  const offset = decodeNextToken(input.NextToken);
  const end = offset + (input.MaxResults ?? 100);
  const items: T[] = [];
  let index = 0;
  for (const item of all) {
    if (!keep(item)) continue;
    if (index === end) return { items, nextToken: { NextToken: encodeNextToken(end) } };
    if (index >= offset) items.push(item);
    index++;
  }
  return { items, nextToken: {} };
}

/** What DescribeSecret and ListSecrets both say of a secret, apart from its staging labels. */
const secretMetadata = (secret: StoredSecret) => ({
  ...identity(secret),
  ...(secret.description === undefined ? {} : { Description: secret.description }),
  ...(secret.kmsKeyId === undefined ? {} : { KmsKeyId: secret.kmsKeyId }),
  ...(secret.rotationEnabled === undefined ? {} : { RotationEnabled: secret.rotationEnabled }),
  LastChangedDate: seconds(secret.lastChangedAt),
  ...(secret.lastAccessedAt === undefined ? {} : { LastAccessedDate: accessDay(secret.lastAccessedAt) }),
  ...(secret.tags.size === 0 ? {} : { Tags: tagList(secret) }),
  CreatedDate: seconds(secret.createdAt),
});

/**
 * A ListSecrets filter: its values are case-sensitive prefixes, any of which matches; a value starting with
 * "!" matches what does not start with the rest.
 */
function filterMatcher(filter: { Key: string; Values: string[] }): (secret: StoredSecret) => boolean {
  const fields: Record<(typeof LIST_FILTER_KEYS)[number], (secret: StoredSecret) => string[]> = {
    name: (secret) => [secret.name],
    'tag-key': (secret) => [...secret.tags.keys()],
    'tag-value': (secret) => [...secret.tags.values()],
  };
  const field = Object.hasOwn(fields, filter.Key)
    ? fields[filter.Key as (typeof LIST_FILTER_KEYS)[number]]
    : undefined;
  if (!field) {
    throw new AwsApiError(
      'ValidationException',
      `1 validation error detected: Value '${filter.Key}' at 'filters.1.member.key' failed to satisfy constraint: the emulator answers only ${LIST_FILTER_KEYS.join(', ')}`,
    );
  }
  return (secret) =>
    filter.Values.some((value) =>
      value.startsWith('!')
        ? field(secret).some((text) => !text.startsWith(value.slice(1)))
        : field(secret).some((text) => text.startsWith(value)),
    );
}

export const operations: Readonly<Record<string, Operation>> = {
  CreateSecret(store, body) {
    const input = parseInput(createSecretInput, body);
    if (!NAME_PATTERN.test(input.Name)) {
      throw invalidParameter(
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    }
    const { secret, versionId } = store.create({
      name: input.Name,
      clientRequestToken: input.ClientRequestToken,
      description: input.Description,
      kmsKeyId: input.KmsKeyId === '' ? undefined : input.KmsKeyId,
      value: secretValueIn(input),
      tags: tagMap(input.Tags),
    });
    return { ...identity(secret), ...(versionId === undefined ? {} : { VersionId: versionId }) };
  },

  DescribeSecret(store, body) {
    const secret = store.find(parseInput(describeSecretInput, body).SecretId);
    return { ...secretMetadata(secret), VersionIdsToStages: stagesByVersion(secret) };
  },

  GetSecretValue(store, body) {
    const input = parseInput(getSecretValueInput, body);
    const { secret, version } = store.read(input.SecretId, {
      ...(input.VersionId === undefined ? {} : { versionId: input.VersionId }),
      ...(input.VersionStage === undefined ? {} : { versionStage: input.VersionStage }),
    });
    return {
      ...identity(secret),
      VersionId: version.versionId,
      ...valueMembers(version.value),
      VersionStages: [...version.stages],
      CreatedDate: seconds(version.createdAt),
    };
  },

  PutSecretValue(store, body) {
    const input = parseInput(putSecretValueInput, body);
    const value = secretValueIn(input);
    if (!value) throw invalidRequest('You must provide either SecretString or SecretBinary.');
    const { secret, version } = store.putValue(input.SecretId, {
      // SDKs always fill the token; a raw request without one gets a fresh version, as at AWS.
      clientRequestToken: input.ClientRequestToken ?? randomUUID(),
      value,
      versionStages: input.VersionStages,
    });
    return { ...identity(secret), VersionId: version.versionId, VersionStages: [...version.stages] };
  },

  UpdateSecretVersionStage(store, body) {
    const input = parseInput(updateSecretVersionStageInput, body);
    const secret = store.updateStage(input.SecretId, {
      versionStage: input.VersionStage,
      moveToVersionId: input.MoveToVersionId,
      removeFromVersionId: input.RemoveFromVersionId,
    });
    return identity(secret);
  },

  ListSecretVersionIds(store, body) {
    const input = parseInput(listSecretVersionIdsInput, body);
    const { secret, versions } = store.versions(input.SecretId, input.IncludeDeprecated ?? false);
    const { items, nextToken } = page(versions, input);
    return {
      Versions: items.map((version) => versionEntry(secret, version)),
      ...nextToken,
      ...identity(secret),
    };
  },

  ListSecrets(store, body) {
    const input = parseInput(listSecretsInput, body);
    const matchers = (input.Filters ?? []).map(filterMatcher);
    const ordered = input.SortOrder === 'desc' ? store.all().reverse() : store.values();
    const { items, nextToken } = page(ordered, input, (secret) =>
      matchers.every((matches) => matches(secret)),
    );
    return {
      SecretList: items.map((secret) => ({
        ...secretMetadata(secret),
        SecretVersionsToStages: stagesByVersion(secret),
      })),
      ...nextToken,
    };
  },

  TagResource(store, body) {
    const input = parseInput(tagResourceInput, body);
    store.tag(input.SecretId, tagMap(input.Tags));
    return undefined;
  },

  UntagResource(store, body) {
    const input = parseInput(untagResourceInput, body);
    store.untag(input.SecretId, input.TagKeys);
    return undefined;
  },
};
