import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/load-config.js';
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
  yaml(policies: string, options?: WorldOptions): string;
  config(policies: string, options?: WorldOptions): Promise<RotorConfig>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** The `worker:` section's body. */
  readonly worker?: string;
  /** The `api:` section's body. */
  readonly api?: string;
  /** The `alerts:` section's body. */
  readonly alerts?: string;
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

  const yaml = (policies: string, extra: WorldOptions = {}) =>
    [
      'redis:',
      `  url: ${url}`,
      `  prefix: ${prefix}`,
      'journal:',
      '  keys:',
      '    k1: { env: ROTOR_JOURNAL_KEY }',
      '  active: k1',
      ...(extra.worker ? ['worker:', ...indent(extra.worker)] : []),
      ...(extra.api ? ['api:', ...indent(extra.api)] : []),
      ...(extra.alerts ? ['alerts:', ...indent(extra.alerts)] : []),
      'sink:',
      '  type: aws-secrets-manager',
      `  region: ${aws.client.region}`,
      `  endpoint: ${aws.client.endpoint}`,
      '  timeout: 2s',
      '  credentials:',
      '    accessKeyId: { env: AWS_KEY_ID }',
      '    secretAccessKey: { env: AWS_SECRET_KEY }',
      'connections:',
      '  cf:',
      '    provider: cloudflare',
      `    accountId: ${cloudflare.admin.accountId}`,
      '    apiToken: { env: CF_API_TOKEN }',
      `    baseUrl: ${cloudflare.client.baseUrl}`,
      'policies:',
      ...indent(policies),
      '',
    ].join('\n');

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
    config: async (policies, extra) => {
      const file = 'test-world.yaml';
      const text = yaml(policies, extra);
      const loaded = await loadConfig(file, {
        env,
        readFile: async () => text,
        awsSecretReader: () => {
          throw new Error('the test world uses no awsSecret references');
        },
      });
      if (!loaded.ok) {
        throw new Error(
          `test config is invalid:\n${loaded.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`,
        );
      }
      return loaded.config;
    },
    close: async () => {
      await Promise.all([cloudflare.server.close(), aws.server.close()]);
      await cleanup();
    },
  };
}

function indent(block: string): string[] {
  const lines = block.replace(/^\n+|\s+$/g, '').split('\n');
  const margin = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((line) => `  ${line.slice(margin)}`);
}

export function policyNamed(config: RotorConfig, id: string): PolicyConfig {
  const policy = config.policies.find((candidate) => candidate.id === id);
  if (!policy) throw new Error(`no policy ${id} in the test config`);
  return policy;
}
