import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import type { Clock } from '../../src/lib/clock.js';
import {
  type RunningCloudflareEmulator,
  startCloudflareEmulator,
} from '../../src/providers/cloudflare/cloudflare.emulator.js';
import {
  type RunningAwsSecretsManagerEmulator,
  startAwsSecretsManagerEmulator,
} from '../../src/sinks/aws-secrets-manager/aws-sm.emulator.js';
import { testRedis } from './redis.js';
import { loadWorldConfig, type WorldSections, worldConfigYaml } from './world-config.js';

/**
 * The outside world of one test file: the Cloudflare and AWS Secrets Manager emulators, and a Redis prefix
 * of its own. `config()` writes a real rotor YAML config pointing at them and loads it as `rotor start` would.
 */
export interface EmulatedWorld {
  readonly cloudflare: RunningCloudflareEmulator;
  readonly aws: RunningAwsSecretsManagerEmulator;
  readonly redis: Redis;
  readonly redisUrl: string;
  readonly prefix: string;
  /** The environment the config's references resolve against (admin token, AWS keys, journal key). */
  readonly env: Readonly<Record<string, string>>;
  /** Every admin secret of the world, for leak scans. */
  readonly adminSecrets: readonly string[];
  yaml(policies: string, options?: WorldSections): string;
  config(policies: string, options?: WorldSections): Promise<RotorConfig>;
  close(): Promise<void>;
}

export async function startEmulatedWorld(options: { clock?: Clock } = {}): Promise<EmulatedWorld> {
  const emulatorOptions = options.clock ? { clock: options.clock } : {};
  const cloudflare = await startCloudflareEmulator(emulatorOptions);
  const aws = await startAwsSecretsManagerEmulator(emulatorOptions);
  const { redis, prefix, url, cleanup } = testRedis();
  const env = {
    CF_API_TOKEN: cloudflare.admin.apiToken,
    AWS_KEY_ID: aws.client.accessKeyId,
    AWS_SECRET_KEY: aws.client.secretAccessKey,
    ROTOR_JOURNAL_KEY: randomBytes(32).toString('base64'),
    API_TOKEN_A: randomBytes(24).toString('base64url'),
    API_TOKEN_B: randomBytes(24).toString('base64url'),
    WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  };

  const yaml = (policies: string, sections: WorldSections = {}) =>
    worldConfigYaml({
      redisUrl: url,
      prefix,
      aws: aws.client,
      envNames: { journalKey: 'ROTOR_JOURNAL_KEY', awsKeyId: 'AWS_KEY_ID', awsSecretKey: 'AWS_SECRET_KEY' },
      connections: [
        'cf:',
        '  provider: cloudflare',
        `  accountId: ${cloudflare.admin.accountId}`,
        '  apiToken: { env: CF_API_TOKEN }',
        `  baseUrl: ${cloudflare.client.baseUrl}`,
      ].join('\n'),
      policies: [policies],
      sections,
    });

  return {
    cloudflare,
    aws,
    redis,
    redisUrl: url,
    prefix,
    env,
    adminSecrets: [
      env.CF_API_TOKEN,
      env.AWS_SECRET_KEY,
      env.ROTOR_JOURNAL_KEY,
      env.API_TOKEN_A,
      env.API_TOKEN_B,
    ],
    yaml,
    config: (policies, sections) => loadWorldConfig(yaml(policies, sections), env),
    close: async () => {
      await Promise.all([cloudflare.server.close(), aws.server.close()]);
      await cleanup();
    },
  };
}

export function policyNamed(config: RotorConfig, id: string): PolicyConfig {
  const policy = config.policies.find((candidate) => candidate.id === id);
  if (!policy) throw new Error(`no policy ${id} in the test config`);
  return policy;
}
