import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/config/config-problem.js';
import { startAwsSecretsManagerEmulator } from '../../src/sinks/aws-secrets-manager/aws-sm.emulator.js';
import { createAwsSecretReader } from '../../src/sinks/aws-secrets-manager/aws-sm.reference-reader.js';
import { apiToken, env, journalKey, load, validYaml } from './config-fixtures.js';

describe('loading a valid config', () => {
  it('yields typed policies with schedules, defaults and resolved secrets', async () => {
    const result = await load(validYaml);
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    const [ci, deploy] = result.config.policies;
    expect(ci).toMatchObject({
      id: 'ci-runner',
      action: 'rotate',
      capability: 'native-grace',
      schedule: { kind: 'cron', pattern: '0 3 * * 1', tz: 'Europe/Oslo' },
      jitterMs: 600_000,
      gracePeriodMs: 86_400_000,
      secret: { id: 'prod/ci/cloudflare-access', adopt: false },
      retry: { attempts: 8, backoffMs: 5_000, maxBackoffMs: 600_000 },
    });
    expect(deploy).toMatchObject({
      schedule: { kind: 'every', everyMs: 86_400_000 },
      gracePeriodMs: 3_600_000,
    });
    const settings = ci?.connection.settings as { apiToken: { reveal(): string } };
    expect(settings.apiToken.reveal()).toBe(apiToken);
    const zone = deploy?.connection.settings as { apiToken: { reveal(): string } };
    expect(zone.apiToken.reveal()).toBe('zone-token-Hq2Wm8Rt5Yu1Io4Pa7Sd0Fg3Jk6');
    expect(result.config.journal.keys.get('k1')?.reveal()).toEqual(Buffer.from(journalKey, 'base64'));
    expect(result.config.worker).toEqual({
      concurrency: 4,
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
      maxStalledCount: 1,
    });
  });

  it('takes API tokens as plain references or named ones (an unnamed one is named by its fingerprint), with safe connection limits by default', async () => {
    const yaml = `${validYaml}\napi:\n  tokens:\n    - { env: API_TOKEN_PLAIN }\n    - { name: deploy-bot, token: { env: API_TOKEN_NAMED } }\n`;
    const plain = 'plain-api-token-Qz7Wx2Lp9Rt4Yv1';
    const result = await load(yaml, {
      env: { ...env, API_TOKEN_PLAIN: plain, API_TOKEN_NAMED: 'named-api-token-Mb3Kd8Sf5Gh0Jn6' },
    });
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));

    const tokens = result.config.api?.tokens ?? [];
    expect(tokens.map((token) => token.name)).toEqual([
      expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
      'deploy-bot',
    ]);
    expect(tokens[0]?.name).not.toContain(plain);
    expect(tokens.map((token) => token.token.reveal())).toEqual([plain, 'named-api-token-Mb3Kd8Sf5Gh0Jn6']);
    expect(result.config.api?.limits).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      connectionTimeoutMs: 30_000,
      maxConnections: 100,
    });
  });

  it('gives a policy without a grace period an hour, or its schedule interval when that is shorter', async () => {
    const yaml = validYaml
      .replace('schedule: { every: 1d }', 'schedule: { every: 20m }')
      .replace('    gracePeriod: 24h\n', '')
      .replace('"0 3 * * 1"', '"*/15 * * * *"');
    const result = await load(yaml);
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.config.policies.map((policy) => policy.gracePeriodMs)).toEqual([900_000, 1_200_000]);
    const hourly = await load(validYaml.replace('    gracePeriod: 24h\n', ''));
    if (!hourly.ok) throw new Error(hourly.problems.map(formatProblem).join('\n'));
    expect(hourly.config.policies.map((policy) => policy.gracePeriodMs)).toEqual([3_600_000, 3_600_000]);
  });

  it('resolves an AWS Secrets Manager reference to the value its key holds in the secret’s AWSCURRENT version', async () => {
    const aws = await startAwsSecretsManagerEmulator();
    const { endpoint, region, accessKeyId, secretAccessKey } = aws.client;
    const sm = new SecretsManagerClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey } });
    try {
      const stored = randomBytes(24).toString('base64url');
      await sm.send(
        new CreateSecretCommand({
          Name: 'prod/admin',
          SecretString: JSON.stringify({ user: 'admin', token: stored }),
        }),
      );
      // A newer version that is not AWSCURRENT yet: the reference reads the current one.
      await sm.send(
        new PutSecretValueCommand({
          SecretId: 'prod/admin',
          SecretString: JSON.stringify({ user: 'admin', token: 'pending-token-not-current-yet' }),
          VersionStages: ['AWSPENDING'],
        }),
      );
      const yaml = validYaml
        .replace(
          'sink: { type: aws-secrets-manager, region: eu-north-1 }',
          `sink: { type: aws-secrets-manager, region: ${region}, endpoint: "${endpoint}", credentials: { accessKeyId: { env: AWS_KEY_ID }, secretAccessKey: { env: AWS_SECRET_KEY } } }`,
        )
        .replace(
          'apiToken: { env: CLOUDFLARE_API_TOKEN }',
          'apiToken: { awsSecret: prod/admin, key: token }',
        );

      const result = await load(yaml, {
        env: { ...env, AWS_KEY_ID: accessKeyId, AWS_SECRET_KEY: secretAccessKey },
        awsSecretReader: (sink) => createAwsSecretReader(sink),
      });

      if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
      const settings = result.config.connections.get('cf-prod')?.settings as {
        apiToken: { reveal(): string };
      };
      expect(settings.apiToken.reveal()).toBe(stored);
    } finally {
      sm.destroy();
      await aws.server.close();
    }
  });

  it('accepts the documented example', async () => {
    const example = await readFile(new URL('../../config/rotor.example.yaml', import.meta.url), 'utf8');
    const result = await load('', {
      env: {
        ...env,
        ROTOR_API_TOKEN: 'an-api-token-of-enough-length',
        TAGOIO_PROFILE_TOKEN: 'p-0123456789abcdef',
        MOOV_PUBLIC_KEY: 'pk_test',
        MOOV_SECRET_KEY: 'sk_test',
        ROTOR_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
        ROTOR_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/xyz',
        GATEWAY_RELOAD_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
        NBIOT_INGEST_ACK_TOKEN: 'an-ack-token-of-enough-length',
      },
      readFile: async (path) => (path === 'rotor.yaml' ? example : 'global-key-from-file\n'),
    });
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.config.policies.map((policy) => policy.id)).toEqual([
      'ci-runner-access',
      'deploy-access-expiry',
      'partner-zone-token',
      'nbiot-ingest-token',
      'gateway-service-auth',
      'payments-access-token',
    ]);
  });
});
