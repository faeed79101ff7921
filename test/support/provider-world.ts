import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/load-config.js';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import {
  type RunningAwsSecretsManagerEmulator,
  startAwsSecretsManagerEmulator,
} from '../../src/sinks/aws-secrets-manager/aws-sm.emulator.js';
import type { ProviderFixture } from './provider-fixture.js';
import { testRedis } from './redis.js';

/** Optional sections' bodies (YAML at zero indentation). */
export interface WorldSections {
  readonly worker?: string;
  readonly alerts?: string;
}

export interface PolicyOptions {
  readonly schedule?: string;
  readonly gracePeriod?: string;
  readonly retry?: string;
}

/**
 * One provider's emulator (through its fixture), the AWS Secrets Manager emulator and a Redis prefix of
 * its own; writes real rotor configs pointing at them. Connection `vendor` is the fixture's.
 */
export interface ProviderWorld {
  readonly fixture: ProviderFixture;
  readonly aws: RunningAwsSecretsManagerEmulator;
  readonly redis: Redis;
  readonly prefix: string;
  readonly env: Readonly<Record<string, string>>;
  /** Every secret to scan for: the provider's, the AWS secret key, the journal key. */
  secrets(): readonly string[];
  /** A policy entry (YAML list item) for a fresh target; extend actions get their secret stored first. */
  policy(id: string, options?: PolicyOptions): Promise<string>;
  yaml(policies: readonly string[], options?: WorldSections): string;
  config(policies: readonly string[], options?: WorldSections): Promise<RotorConfig>;
  close(): Promise<void>;
}

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((line) => (line.trim() === '' ? line : `${by}${line}`))
    .join('\n');

export async function startProviderWorld(start: () => Promise<ProviderFixture>): Promise<ProviderWorld> {
  const fixture = await start();
  const aws = await startAwsSecretsManagerEmulator();
  const { redis, prefix, url, cleanup } = testRedis();
  const env = {
    ...fixture.env,
    WORLD_AWS_KEY_ID: aws.client.accessKeyId,
    WORLD_AWS_SECRET_KEY: aws.client.secretAccessKey,
    WORLD_JOURNAL_KEY: randomBytes(32).toString('base64'),
    WORLD_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  };

  const yaml: ProviderWorld['yaml'] = (policies, options = {}) =>
    [
      'redis:',
      `  url: ${url}`,
      `  prefix: ${prefix}`,
      'journal:',
      '  keys: { k1: { env: WORLD_JOURNAL_KEY } }',
      '  active: k1',
      ...(options.worker ? ['worker:', indent(options.worker, '  ')] : []),
      ...(options.alerts ? ['alerts:', indent(options.alerts, '  ')] : []),
      'sink:',
      '  type: aws-secrets-manager',
      `  region: ${aws.client.region}`,
      `  endpoint: ${aws.client.endpoint}`,
      '  timeout: 2s',
      '  credentials:',
      '    accessKeyId: { env: WORLD_AWS_KEY_ID }',
      '    secretAccessKey: { env: WORLD_AWS_SECRET_KEY }',
      'connections:',
      '  vendor:',
      `    provider: ${fixture.providerId}`,
      indent(fixture.connectionYaml, '    '),
      'policies:',
      ...policies.map((policy) => indent(policy, '  ')),
      '',
    ].join('\n');

  return {
    fixture,
    aws,
    redis,
    prefix,
    env,
    secrets: () => [...fixture.secrets(), env.WORLD_AWS_SECRET_KEY, env.WORLD_JOURNAL_KEY],
    policy: async (id, options = {}) => {
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
        '  connection: vendor',
        `  action: ${fixture.action}`,
        `  target: ${target.targetYaml}`,
        `  schedule: ${options.schedule ?? '{ manualOnly: true }'}`,
        ...(options.gracePeriod ? [`  gracePeriod: ${options.gracePeriod}`] : []),
        ...(options.retry ? [`  retry: ${options.retry}`] : []),
        ...(target.extraPolicyYaml ? [indent(target.extraPolicyYaml, '  ')] : []),
        `  secret: { id: ${secretId}, adopt: ${target.initialCredential !== undefined} }`,
      ].join('\n');
    },
    yaml,
    config: async (policies, options) => {
      const text = yaml(policies, options);
      const loaded = await loadConfig('provider-world.yaml', {
        env,
        readFile: async () => text,
        awsSecretReader: () => {
          throw new Error('the provider world uses no awsSecret references');
        },
      });
      if (!loaded.ok) {
        const problems = loaded.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
        throw new Error(`test config is invalid:\n${problems}\n---\n${text}`);
      }
      return loaded.config;
    },
    close: async () => {
      await Promise.all([fixture.close(), aws.server.close()]);
      await cleanup();
    },
  };
}
