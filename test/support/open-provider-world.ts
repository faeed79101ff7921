import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import {
  type RunningAwsSecretsManagerEmulator,
  startAwsSecretsManagerEmulator,
} from '../../src/sinks/aws-secrets-manager/aws-sm.emulator.js';
import type { ProviderFixture } from './provider-fixture.js';
import { indentBlock, loadWorldConfig, type WorldSections, worldConfigYaml } from './world-config.js';

export type { WorldSections } from './world-config.js';

export interface PolicyOptions {
  readonly schedule?: string;
  readonly gracePeriod?: string;
  readonly retry?: string;
  /** More policy keys as a raw YAML block (e.g. consumers, maxGrace, onUnconfirmed). */
  readonly extra?: string;
}

/**
 * Providers' emulators (through their fixtures), the AWS Secrets Manager emulator and a Redis prefix of
 * its own; writes real rotor configs pointing at them, one connection per provider, named by its id.
 */
export interface ProviderWorld {
  /** The first (for most suites, the only) provider. */
  readonly fixture: ProviderFixture;
  readonly fixtures: readonly ProviderFixture[];
  readonly aws: RunningAwsSecretsManagerEmulator;
  readonly redis: Redis;
  readonly prefix: string;
  readonly env: Readonly<Record<string, string>>;
  /** Every secret to scan for: the providers', the AWS secret key, the journal key, the webhook secret. */
  secrets(): readonly string[];
  /**
   * A policy entry (YAML list item) for a fresh target of `fixture` (default the first); extend actions get
   * their secret stored first.
   */
  policy(id: string, options?: PolicyOptions, fixture?: ProviderFixture): Promise<string>;
  yaml(policies: readonly string[], options?: WorldSections): string;
  config(policies: readonly string[], options?: WorldSections): Promise<RotorConfig>;
  close(): Promise<void>;
}

/** A Redis connection and the key prefix a world owns; `cleanup` deletes its keys and disconnects. */
export interface RedisScope {
  readonly redis: Redis;
  readonly prefix: string;
  readonly url: string;
  cleanup(): Promise<void>;
}

/** A world on the given Redis scope (tests take theirs from the shared test Redis, the benchmark its own). */
export async function openProviderWorld(
  scope: RedisScope,
  starts: readonly (() => Promise<ProviderFixture>)[],
): Promise<ProviderWorld> {
  const fixtures = await Promise.all(starts.map((start) => start()));
  const [first] = fixtures;
  if (!first) throw new Error('a world needs a provider');
  const aws = await startAwsSecretsManagerEmulator();
  const { redis, prefix, url, cleanup } = scope;
  const env = {
    ...Object.fromEntries(fixtures.flatMap((fixture) => Object.entries(fixture.env))),
    WORLD_AWS_KEY_ID: aws.client.accessKeyId,
    WORLD_AWS_SECRET_KEY: aws.client.secretAccessKey,
    WORLD_JOURNAL_KEY: randomBytes(32).toString('base64'),
    WORLD_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  };

  const yaml: ProviderWorld['yaml'] = (policies, sections = {}) =>
    worldConfigYaml({
      redisUrl: url,
      prefix,
      aws: aws.client,
      envNames: {
        journalKey: 'WORLD_JOURNAL_KEY',
        awsKeyId: 'WORLD_AWS_KEY_ID',
        awsSecretKey: 'WORLD_AWS_SECRET_KEY',
      },
      connections: fixtures
        .flatMap((fixture) => [
          `${fixture.providerId}:`,
          `  provider: ${fixture.providerId}`,
          ...indentBlock(fixture.connectionYaml, '  '),
          ...(sections.connectionTimeout ? [`  timeout: ${sections.connectionTimeout}`] : []),
          ...(sections.connectionRateLimit ? [`  rateLimit: ${sections.connectionRateLimit}`] : []),
        ])
        .join('\n'),
      policies,
      sections,
    });

  return {
    fixture: first,
    fixtures,
    aws,
    redis,
    prefix,
    env,
    secrets: () => [
      ...fixtures.flatMap((fixture) => fixture.secrets()),
      env.WORLD_AWS_SECRET_KEY,
      env.WORLD_JOURNAL_KEY,
      env.WORLD_WEBHOOK_SECRET,
    ],
    policy: async (id, options = {}, fixture = first) => {
      const target = await fixture.newTarget(id);
      const secretId = `${fixture.providerId}/${id}`;
      if (target.initialCredential !== undefined) {
        aws.store.create({
          name: secretId,
          tags: new Map(),
          clientRequestToken: randomUUID(),
          value: { kind: 'string', text: JSON.stringify(target.initialCredential) },
        });
      }
      return [
        `- id: ${id}`,
        `  connection: ${fixture.providerId}`,
        `  action: ${fixture.action}`,
        `  target: ${target.targetYaml}`,
        `  schedule: ${options.schedule ?? '{ manualOnly: true }'}`,
        ...(options.gracePeriod ? [`  gracePeriod: ${options.gracePeriod}`] : []),
        ...(options.retry ? [`  retry: ${options.retry}`] : []),
        ...(target.extraPolicyYaml ? indentBlock(target.extraPolicyYaml, '  ') : []),
        ...(options.extra ? indentBlock(options.extra, '  ') : []),
        `  secret: { id: ${secretId}, adopt: ${target.initialCredential !== undefined} }`,
      ].join('\n');
    },
    yaml,
    config: (policies, sections) => loadWorldConfig(yaml(policies, sections), env),
    close: async () => {
      await Promise.all([...fixtures.map((fixture) => fixture.close()), aws.server.close()]);
      await cleanup();
    },
  };
}
