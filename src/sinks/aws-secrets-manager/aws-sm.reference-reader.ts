import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { type ErrorKind, isRotationError, RotationError } from '../../domain/errors.js';
import { Secret } from '../../domain/secret.js';
import type { Resolved } from '../../domain/secret-reference.js';
import { type Clock, systemClock } from '../../lib/clock.js';
import { createAwsSecretsManagerCaller } from './aws-sm.client.js';
import { AWS_SM_SYSTEM } from './aws-sm.errors.js';
import type { AwsSecretsManagerSettings } from './aws-sm.settings.js';

export interface AwsSecretReader {
  /** The string under `key` in the JSON object of the secret's current version. */
  read(secretId: string, key: string, signal?: AbortSignal): Promise<Secret<string>>;
  close(): void;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    // The parser's message quotes the input: it must not escape.
    return undefined;
  }
}

const describeType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

/**
 * Resolves config references `{ awsSecret: ID, key: FIELD }`: reads the secret's AWSCURRENT value as a JSON
 * object and returns one string field of it. Errors name the secret and key, never the value.
 */
export function createAwsSecretReader(
  settings: Resolved<AwsSecretsManagerSettings>,
  options: { readonly clock?: Clock } = {},
): AwsSecretReader {
  const aws = createAwsSecretsManagerCaller(settings, options.clock ?? systemClock);

  return {
    async read(secretId, key, signal) {
      const where = `key "${key}" of AWS secret ${secretId}`;
      const fail = (kind: ErrorKind, problem: string) =>
        new RotationError(kind, `cannot read ${where}: ${problem}`, {
          system: AWS_SM_SYSTEM,
          operation: 'GetSecretValue',
        });
      let text: string | undefined;
      try {
        const output = await aws.call('GetSecretValue', signal, (client, thisCall) =>
          client.send(
            thisCall(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' })),
          ),
        );
        text = output.SecretString;
      } catch (error) {
        if (!isRotationError(error)) throw error;
        if (error.kind === 'not-found')
          throw fail('not-found', 'the secret does not exist or has no current value');
        throw new RotationError(error.kind, `cannot read ${where}: ${error.message}`, error.details);
      }
      if (text === undefined)
        throw fail('invalid-config', 'the secret holds a binary value, not a JSON object');
      const fields = parseObject(text);
      if (!fields) throw fail('invalid-config', 'the secret value is not a JSON object');
      const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (field === undefined) throw fail('invalid-config', 'the secret has no such key');
      if (typeof field !== 'string')
        throw fail('invalid-config', `the key holds ${describeType(field)}, not a string`);
      return Secret.of(field);
    },
    close: () => aws.close(),
  };
}
