import { randomInt, randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { AwsApiError, invalidParameter, invalidRequest, secretNotFound } from './aws-sm.emulator-errors.js';
import {
  AWSCURRENT,
  AWSPREVIOUS,
  type CreateSecretInput,
  type EmulatedSecretView,
  type PutValueInput,
  type SecretValue,
  type StoredSecret,
  type StoredVersion,
  sameValue,
  type UpdateStageInput,
} from './aws-sm.emulator-model.js';

// Secrets Manager keeps the 100 most recent versions, plus every version created in the last 24 hours.
const KEPT_VERSIONS = 100;
const KEEP_RECENT_MS = 24 * 60 * 60 * 1000;
const ARN_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The state of one emulated account and region, and the staging-label rules that change it. */
export class SecretsManagerStore {
  readonly region: string;
  readonly accountId: string;
  readonly #clock: Clock;
  readonly #secrets = new Map<string, StoredSecret>();

  constructor(options: { region: string; accountId: string; clock: Clock }) {
    this.region = options.region;
    this.accountId = options.accountId;
    this.#clock = options.clock;
  }

  /** A secret by name, full ARN or partial ARN (the ARN without its random suffix). */
  find(secretId: string): StoredSecret {
    const byName = this.#secrets.get(secretId);
    if (byName) return byName;
    if (secretId.startsWith('arn:')) {
      for (const secret of this.#secrets.values()) {
        if (secret.arn === secretId || this.#partialArn(secret.name) === secretId) return secret;
      }
    }
    throw secretNotFound();
  }

  create(input: CreateSecretInput): { secret: StoredSecret; versionId: string | undefined } {
    const existing = this.#secrets.get(input.name);
    if (existing) return this.#repeatCreate(existing, input);
    const now = this.#clock.now();
    const secret: StoredSecret = {
      arn: `${this.#partialArn(input.name)}-${randomSuffix()}`,
      name: input.name,
      description: input.description,
      kmsKeyId: input.kmsKeyId,
      createdAt: now,
      creationToken: input.clientRequestToken,
      lastChangedAt: now,
      lastAccessedAt: undefined,
      rotationEnabled: undefined,
      tags: new Map(input.tags),
      versions: new Map(),
    };
    this.#secrets.set(input.name, secret);
    if (!input.value) return { secret, versionId: undefined };
    const versionId = input.clientRequestToken ?? randomUUID();
    this.#addVersion(secret, versionId, input.value, [AWSCURRENT]);
    return { secret, versionId };
  }

  /** The version a read addresses; neither id nor stage means AWSCURRENT. Marks it accessed. */
  read(
    secretId: string,
    selector: { versionId?: string; versionStage?: string },
  ): { secret: StoredSecret; version: StoredVersion } {
    const secret = this.find(secretId);
    const version = this.#select(secret, selector);
    const now = this.#clock.now();
    version.lastAccessedAt = now;
    secret.lastAccessedAt = now;
    return { secret, version };
  }

  putValue(secretId: string, input: PutValueInput): { secret: StoredSecret; version: StoredVersion } {
    const secret = this.find(secretId);
    const existing = secret.versions.get(input.clientRequestToken);
    if (existing) {
      if (sameValue(existing.value, input.value)) return { secret, version: existing };
      throw new AwsApiError(
        'ResourceExistsException',
        `You can't use ClientRequestToken ${input.clientRequestToken} because that value is already in use for a version of secret ${secret.arn}.`,
      );
    }
    const stages = [...(input.versionStages ?? [AWSCURRENT])];
    if (secret.versions.size === 0 && !stages.includes(AWSCURRENT)) stages.push(AWSCURRENT);
    const version = this.#addVersion(secret, input.clientRequestToken, input.value, stages);
    this.#pruneDeprecated(secret);
    return { secret, version };
  }

  updateStage(secretId: string, input: UpdateStageInput): StoredSecret {
    const secret = this.find(secretId);
    const { versionStage: stage, moveToVersionId, removeFromVersionId } = input;
    if (moveToVersionId === undefined && removeFromVersionId === undefined) {
      throw invalidParameter('You must specify either MoveToVersionId or RemoveFromVersionId.');
    }
    const moveTo = moveToVersionId === undefined ? undefined : this.#version(secret, moveToVersionId);
    const removeFrom =
      removeFromVersionId === undefined ? undefined : this.#version(secret, removeFromVersionId);
    if (removeFrom && !removeFrom.stages.has(stage)) {
      throw invalidParameter(`Version stage ${stage} not found in version ${removeFrom.versionId}`);
    }
    const holder = this.#holder(secret, stage);
    // Real AWS (unlike moto) enforces this for every label: a label may sit on one version only.
    if (moveTo && holder && holder !== moveTo && holder !== removeFrom) {
      throw invalidParameter(
        `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    removeFrom?.stages.delete(stage);
    moveTo?.stages.add(stage);
    if (stage === AWSCURRENT && moveTo && removeFrom && moveTo !== removeFrom) {
      this.#attach(secret, AWSPREVIOUS, removeFrom);
    }
    secret.lastChangedAt = this.#clock.now();
    return secret;
  }

  /** Every secret, oldest first. */
  all(): StoredSecret[] {
    return [...this.values()];
  }

  /** Every secret, oldest first, without copying the store. */
  values(): IterableIterator<StoredSecret> {
    return this.#secrets.values();
  }

  /** Newest first; unlabeled (deprecated) versions only when asked for. */
  versions(
    secretId: string,
    includeDeprecated: boolean,
  ): { secret: StoredSecret; versions: StoredVersion[] } {
    const secret = this.find(secretId);
    const versions = [...secret.versions.values()]
      .reverse()
      .filter((version) => includeDeprecated || version.stages.size > 0);
    return { secret, versions };
  }

  tag(secretId: string, tags: ReadonlyMap<string, string>): void {
    const secret = this.find(secretId);
    for (const [key, value] of tags) secret.tags.set(key, value);
    secret.lastChangedAt = this.#clock.now();
  }

  untag(secretId: string, keys: readonly string[]): void {
    const secret = this.find(secretId);
    for (const key of keys) secret.tags.delete(key);
    secret.lastChangedAt = this.#clock.now();
  }

  /** Marks a secret as under AWS's own rotation (what RotateSecret with a Lambda would do). */
  setRotationEnabled(secretId: string, enabled: boolean): void {
    this.find(secretId).rotationEnabled = enabled;
  }

  /** A version's value, for tests and demos in the same process. */
  valueOf(
    secretId: string,
    selector: { versionId?: string; versionStage?: string } = {},
  ): string | undefined {
    const version = this.#select(this.find(secretId), selector);
    return version.value.kind === 'string' ? version.value.text : undefined;
  }

  view(secretId: string): EmulatedSecretView {
    const secret = this.find(secretId);
    return {
      arn: secret.arn,
      name: secret.name,
      ...(secret.kmsKeyId === undefined ? {} : { kmsKeyId: secret.kmsKeyId }),
      ...(secret.rotationEnabled === undefined ? {} : { rotationEnabled: secret.rotationEnabled }),
      tags: Object.fromEntries(secret.tags),
      versions: [...secret.versions.values()].map((version) => ({
        versionId: version.versionId,
        stages: [...version.stages],
        createdAt: version.createdAt,
      })),
    };
  }

  list(): EmulatedSecretView[] {
    return [...this.#secrets.keys()].map((name) => this.view(name));
  }

  clear(): void {
    this.#secrets.clear();
  }

  #partialArn(name: string): string {
    return `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}`;
  }

  // CreateSecret on an existing name: a retry with the same token and value is answered as the first call was.
  #repeatCreate(
    secret: StoredSecret,
    input: CreateSecretInput,
  ): { secret: StoredSecret; versionId: string | undefined } {
    const token = input.clientRequestToken;
    if (token !== undefined && input.value) {
      const version = secret.versions.get(token);
      if (version && sameValue(version.value, input.value)) return { secret, versionId: token };
      if (version) {
        throw new AwsApiError(
          'ResourceExistsException',
          `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${secret.arn}.`,
        );
      }
    }
    if (token !== undefined && !input.value && token === secret.creationToken) {
      return { secret, versionId: undefined };
    }
    throw new AwsApiError(
      'ResourceExistsException',
      `The operation failed because the secret ${secret.name} already exists.`,
    );
  }

  #select(secret: StoredSecret, selector: { versionId?: string; versionStage?: string }): StoredVersion {
    const { versionId, versionStage } = selector;
    if (versionId !== undefined) {
      const version = secret.versions.get(versionId);
      if (!version) {
        throw new AwsApiError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
        );
      }
      if (versionStage !== undefined && !version.stages.has(versionStage)) {
        throw invalidRequest('You provided a VersionStage that is not associated to the provided VersionId.');
      }
      return version;
    }
    const stage = versionStage ?? AWSCURRENT;
    const holder = this.#holder(secret, stage);
    if (!holder) {
      throw new AwsApiError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      );
    }
    return holder;
  }

  #version(secret: StoredSecret, versionId: string): StoredVersion {
    const version = secret.versions.get(versionId);
    if (!version) throw invalidParameter(`Not a valid version: ${versionId}`);
    return version;
  }

  #holder(secret: StoredSecret, stage: string): StoredVersion | undefined {
    for (const version of secret.versions.values()) if (version.stages.has(stage)) return version;
    return undefined;
  }

  /** Puts a label on one version, taking it off whichever version had it. */
  #attach(secret: StoredSecret, stage: string, target: StoredVersion): void {
    for (const version of secret.versions.values()) version.stages.delete(stage);
    target.stages.add(stage);
  }

  #addVersion(
    secret: StoredSecret,
    versionId: string,
    value: SecretValue,
    stages: readonly string[],
  ): StoredVersion {
    const now = this.#clock.now();
    const version: StoredVersion = {
      versionId,
      value,
      stages: new Set(),
      createdAt: now,
      lastAccessedAt: undefined,
    };
    secret.versions.set(versionId, version);
    // AWSCURRENT first: moving it hands AWSPREVIOUS to the version it leaves.
    const ordered = [...new Set(stages)].sort((a, b) => Number(b === AWSCURRENT) - Number(a === AWSCURRENT));
    for (const stage of ordered) {
      const displaced = stage === AWSCURRENT ? this.#holder(secret, AWSCURRENT) : undefined;
      this.#attach(secret, stage, version);
      if (displaced) this.#attach(secret, AWSPREVIOUS, displaced);
    }
    secret.lastChangedAt = now;
    return version;
  }

  #pruneDeprecated(secret: StoredSecret): void {
    const cutoff = this.#clock.now() - KEEP_RECENT_MS;
    for (const version of secret.versions.values()) {
      if (secret.versions.size <= KEPT_VERSIONS) return;
      if (version.stages.size === 0 && version.createdAt < cutoff) secret.versions.delete(version.versionId);
    }
  }
}

function randomSuffix(): string {
  return Array.from({ length: 6 }, () => ARN_SUFFIX_ALPHABET[randomInt(ARN_SUFFIX_ALPHABET.length)]).join('');
}
