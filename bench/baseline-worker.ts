import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type VendorIssue, VendorIssuer } from './baseline-issue.js';

/**
 * How the baseline writes the new credential:
 * - `staged`: PutSecretValue as AWSPENDING, UpdateSecretVersionStage moving AWSCURRENT to it (removing it from
 *   the version the worker last made current), UpdateSecretVersionStage dropping AWSPENDING: 3 AWS calls.
 * - `floor`: PutSecretValue with no stages, which moves AWSCURRENT (and AWSPREVIOUS) by itself: 1 AWS call.
 */
export type BaselineWrite = 'staged' | 'floor';

export interface BaselineSecret {
  readonly secretId: string;
  readonly issue: VendorIssue;
}

export interface BaselineSettings {
  readonly redisUrl: string;
  /** Key prefix of the worker's queue. */
  readonly prefix: string;
  readonly queueName: string;
  readonly concurrency: number;
  readonly write: BaselineWrite;
  readonly aws: {
    readonly endpoint: string;
    readonly region: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  };
  /** How long the vendor keeps the displaced credential valid (Cloudflare's rotate takes it). */
  readonly gracePeriodMs: number;
}

/** The minimal baseline: a BullMQ queue and its worker; each job `{ secretId }` rotates one secret. */
export interface Baseline {
  readonly queue: Queue;
  /** Creates each secret at AWS (outside any measured window), remembering the version it made current. */
  createSecrets(secrets: readonly BaselineSecret[]): Promise<void>;
  close(): Promise<void>;
}

const SETUP_CONCURRENCY = 32;

/**
 * The least a worker can do to rotate a credential into Secrets Manager, with BullMQ, undici and the AWS SDK
 * and nothing from src/: the vendor's issue call, then the writes of `settings.write`. No verification, no
 * journal, no checkpoint, no revoke (the displaced credential would be revoked after the grace period, which
 * no measured round reaches). The version that holds AWSCURRENT is kept in this process's memory, per secret:
 * that is what makes it minimal (no AWS read), and what a crash or a second worker would lose.
 */
export async function startBaseline(settings: BaselineSettings): Promise<Baseline> {
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
  const aws = new SecretsManagerClient({
    region: settings.aws.region,
    endpoint: settings.aws.endpoint,
    credentials: { accessKeyId: settings.aws.accessKeyId, secretAccessKey: settings.aws.secretAccessKey },
  });
  const vendors = new VendorIssuer();
  const secrets = new Map<string, BaselineSecret>();
  /** Secret id → the version id holding AWSCURRENT, as this worker last set it. */
  const currentVersion = new Map<string, string>();

  const stagedWrite = async (secretId: string, value: string): Promise<void> => {
    const previous = currentVersion.get(secretId);
    if (previous === undefined) throw new Error(`no current version known for ${secretId}`);
    const versionId = randomUUID();
    await aws.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: versionId,
        SecretString: value,
        VersionStages: ['AWSPENDING'],
      }),
    );
    await aws.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: versionId,
        RemoveFromVersionId: previous,
      }),
    );
    await aws.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: versionId,
      }),
    );
    currentVersion.set(secretId, versionId);
  };
  const floorWrite = async (secretId: string, value: string): Promise<void> => {
    await aws.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: randomUUID(),
        SecretString: value,
      }),
    );
  };
  const write = settings.write === 'staged' ? stagedWrite : floorWrite;

  const rotate = async (job: Job<{ secretId: string }>): Promise<void> => {
    const secret = secrets.get(job.data.secretId);
    if (!secret) throw new Error(`unknown secret ${job.data.secretId}`);
    const value = await vendors.issue(secret.issue, new Date(Date.now() + settings.gracePeriodMs));
    await write(secret.secretId, value);
  };

  const create = async (secret: BaselineSecret): Promise<void> => {
    const created = await aws.send(
      new CreateSecretCommand({
        Name: secret.secretId,
        ClientRequestToken: randomUUID(),
        SecretString: '{}',
      }),
    );
    if (created.VersionId === undefined)
      throw new Error(`CreateSecret returned no version for ${secret.secretId}`);
    secrets.set(secret.secretId, secret);
    currentVersion.set(secret.secretId, created.VersionId);
  };

  const worker = new Worker(settings.queueName, rotate, {
    connection: redis.duplicate(),
    prefix: settings.prefix,
    concurrency: settings.concurrency,
  });
  const queue = new Queue(settings.queueName, { connection: redis, prefix: settings.prefix });
  return {
    queue,
    createSecrets: async (all) => {
      for (let start = 0; start < all.length; start += SETUP_CONCURRENCY)
        await Promise.all(all.slice(start, start + SETUP_CONCURRENCY).map(create));
    },
    close: async () => {
      await worker.close();
      await queue.close();
      await vendors.close();
      aws.destroy();
      redis.disconnect();
    },
  };
}
