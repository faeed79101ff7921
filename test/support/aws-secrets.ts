import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

export type Stage = 'AWSCURRENT' | 'AWSPREVIOUS' | 'AWSPENDING';

/** One version of a secret as the SDK lists it. */
export interface ListedVersion {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly createdAt: number;
}

/** A secret's versions in AWS Secrets Manager (the emulator), read and written with the official AWS SDK. */
export class AwsSecrets {
  readonly #sm: SecretsManagerClient;

  constructor(client: {
    readonly endpoint: string;
    readonly region: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  }) {
    const { endpoint, region, accessKeyId, secretAccessKey } = client;
    this.#sm = new SecretsManagerClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey } });
  }

  /** A version by label or id, its JSON document parsed (undefined: no such secret or version). */
  async version(
    secretId: string,
    which: Stage | { readonly versionId: string },
  ): Promise<{ versionId: string; credential: unknown } | undefined> {
    const version = typeof which === 'string' ? { VersionStage: which } : { VersionId: which.versionId };
    const read = await this.#sm
      .send(new GetSecretValueCommand({ SecretId: secretId, ...version }))
      .catch((error: { name?: string }) => {
        if (error.name === 'ResourceNotFoundException') return undefined;
        throw error;
      });
    if (read?.VersionId === undefined || read.SecretString === undefined) return undefined;
    return { versionId: read.VersionId, credential: JSON.parse(read.SecretString) };
  }

  /** Every version of the secret, unlabelled ones too, oldest first (none when the secret does not exist). */
  async versions(secretId: string): Promise<ListedVersion[]> {
    const listed: ListedVersion[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#sm
        .send(
          new ListSecretVersionIdsCommand({
            SecretId: secretId,
            IncludeDeprecated: true,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
        )
        .catch((error: { name?: string }) => {
          if (error.name === 'ResourceNotFoundException') return undefined;
          throw error;
        });
      for (const version of page?.Versions ?? []) {
        listed.push({
          versionId: version.VersionId ?? '',
          stages: [...(version.VersionStages ?? [])].sort(),
          createdAt: version.CreatedDate?.getTime() ?? 0,
        });
      }
      nextToken = page?.NextToken;
    } while (nextToken !== undefined);
    return listed.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The secret's tags as a map (empty when it has none). */
  async tags(secretId: string): Promise<Record<string, string>> {
    const described = await this.#sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    return Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  }

  /** Writes a version with the given labels, as a run that lost its record would have; its id. */
  async put(secretId: string, credential: unknown, stages: readonly Stage[]): Promise<string> {
    const versionId = randomUUID();
    await this.#sm.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: versionId,
        SecretString: JSON.stringify(credential),
        VersionStages: [...stages],
      }),
    );
    return versionId;
  }

  close(): void {
    this.#sm.destroy();
  }
}
