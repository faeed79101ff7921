// The emulated Secrets Manager's data: what a secret and its versions hold, and the store's inputs.

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';

export type SecretValue =
  | { readonly kind: 'string'; readonly text: string }
  | { readonly kind: 'binary'; readonly base64: string };

export interface StoredVersion {
  readonly versionId: string;
  readonly value: SecretValue;
  readonly stages: Set<string>;
  /** Epoch ms. */
  readonly createdAt: number;
  lastAccessedAt: number | undefined;
}

export interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly kmsKeyId: string | undefined;
  readonly createdAt: number;
  /** The ClientRequestToken of the CreateSecret call, so a retried create is recognised. */
  readonly creationToken: string | undefined;
  lastChangedAt: number;
  lastAccessedAt: number | undefined;
  /** Undefined until rotation is configured (AWS omits the field then). */
  rotationEnabled: boolean | undefined;
  readonly tags: Map<string, string>;
  /** In creation order. */
  readonly versions: Map<string, StoredVersion>;
}

export interface CreateSecretInput {
  readonly name: string;
  readonly clientRequestToken?: string | undefined;
  readonly description?: string | undefined;
  readonly kmsKeyId?: string | undefined;
  readonly value?: SecretValue | undefined;
  readonly tags?: ReadonlyMap<string, string> | undefined;
}

export interface PutValueInput {
  readonly clientRequestToken: string;
  readonly value: SecretValue;
  readonly versionStages?: readonly string[] | undefined;
}

export interface UpdateStageInput {
  readonly versionStage: string;
  readonly moveToVersionId?: string | undefined;
  readonly removeFromVersionId?: string | undefined;
}

/** What tests and the control endpoint may see of a secret: everything except its values. */
export interface EmulatedSecretView {
  readonly arn: string;
  readonly name: string;
  readonly kmsKeyId?: string;
  readonly rotationEnabled?: boolean;
  readonly tags: Record<string, string>;
  readonly versions: readonly { versionId: string; stages: string[]; createdAt: number }[];
}

export const sameValue = (a: SecretValue, b: SecretValue): boolean =>
  a.kind === 'string'
    ? b.kind === 'string' && a.text === b.text
    : b.kind === 'binary' && a.base64 === b.base64;
