import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRotationError, type RotationError } from '../../domain/errors.js';
import { Secret } from '../../domain/secret.js';
import type { Resolved } from '../../domain/secret-reference.js';
import { type RunningAwsSecretsManagerEmulator, startAwsSecretsManagerEmulator } from './aws-sm.emulator.js';
import { type AwsSecretReader, createAwsSecretReader } from './aws-sm.reference-reader.js';
import type { AwsSecretsManagerSettings } from './aws-sm.settings.js';

const ADMIN_TOKEN = 'cf-admin-token-7Hq2mX91pL';

let emulator: RunningAwsSecretsManagerEmulator;
let reader: AwsSecretReader;

function settingsFor(secretAccessKey: string): Resolved<AwsSecretsManagerSettings> {
  const { endpoint, region, accessKeyId } = emulator.client;
  return {
    type: 'aws-secrets-manager',
    region,
    endpoint,
    tags: {},
    timeout: 2_000,
    rateLimit: false,
    credentials: { accessKeyId: Secret.of(accessKeyId), secretAccessKey: Secret.of(secretAccessKey) },
  };
}

function seed(name: string, text: string): void {
  emulator.store.create({ name, value: { kind: 'string', text } });
}

async function rejection(promise: Promise<unknown>): Promise<RotationError> {
  try {
    await promise;
  } catch (error) {
    if (isRotationError(error)) return error;
    throw error;
  }
  throw new Error('expected a RotationError');
}

function expectNamesWithoutValue(error: RotationError, secretId: string, key: string): void {
  expect(error.message).toContain(secretId);
  expect(error.message).toContain(`"${key}"`);
  for (const output of [error.message, JSON.stringify(error)]) expect(output).not.toContain(ADMIN_TOKEN);
}

beforeAll(async () => {
  emulator = await startAwsSecretsManagerEmulator();
  reader = createAwsSecretReader(settingsFor(emulator.client.secretAccessKey));
  seed('config/cloudflare', JSON.stringify({ apiToken: ADMIN_TOKEN, retries: 3 }));
  seed('config/plain-text', ADMIN_TOKEN);
  seed('config/array', JSON.stringify([ADMIN_TOKEN]));
});
afterAll(async () => {
  reader.close();
  await emulator.server.close();
});

describe('AWS secret reference reader', () => {
  it('returns the string field of the JSON object in the current version, wrapped as a Secret', async () => {
    const value = await reader.read('config/cloudflare', 'apiToken');
    expect(value).toBeInstanceOf(Secret);
    expect(value.reveal()).toBe(ADMIN_TOKEN);
  });

  it('reads the latest value after the secret changes', async () => {
    seed('config/changing', JSON.stringify({ token: 'old' }));
    emulator.store.putValue('config/changing', {
      clientRequestToken: '44444444-4444-4444-8444-444444444444',
      value: { kind: 'string', text: JSON.stringify({ token: 'new' }) },
    });
    expect((await reader.read('config/changing', 'token')).reveal()).toBe('new');
  });

  it('fails with not-found, naming the secret and key, when the secret does not exist', async () => {
    const error = await rejection(reader.read('config/missing', 'apiToken'));
    expect(error.kind).toBe('not-found');
    expectNamesWithoutValue(error, 'config/missing', 'apiToken');
  });

  it('fails with invalid-config, never quoting the value, when the value is not a JSON object', async () => {
    for (const secretId of ['config/plain-text', 'config/array']) {
      const error = await rejection(reader.read(secretId, 'apiToken'));
      expect(error.kind).toBe('invalid-config');
      expect(error.message).toContain('not a JSON object');
      expectNamesWithoutValue(error, secretId, 'apiToken');
    }
  });

  it('fails with invalid-config when the key is missing or does not hold a string', async () => {
    const missing = await rejection(reader.read('config/cloudflare', 'apiKey'));
    expect(missing.kind).toBe('invalid-config');
    expect(missing.message).toContain('no such key');
    expectNamesWithoutValue(missing, 'config/cloudflare', 'apiKey');
    const number = await rejection(reader.read('config/cloudflare', 'retries'));
    expect(number.message).toContain('holds a number, not a string');
    expectNamesWithoutValue(number, 'config/cloudflare', 'retries');
    const inherited = await rejection(reader.read('config/cloudflare', 'toString'));
    expect(inherited.message).toContain('no such key');
  });

  it('fails with auth, naming the secret and key, when AWS refuses the credentials', async () => {
    const wrong = createAwsSecretReader(settingsFor('not-the-secret-key'));
    try {
      const error = await rejection(wrong.read('config/cloudflare', 'apiToken'));
      expect(error.kind).toBe('auth');
      expect(error.details.vendorCode).toBe('InvalidSignatureException');
      expectNamesWithoutValue(error, 'config/cloudflare', 'apiToken');
    } finally {
      wrong.close();
    }
  });
});
