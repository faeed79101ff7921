import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import Cloudflare from 'cloudflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudflareEmulator } from '../../src/providers/cloudflare/cloudflare.emulator.js';
import { startMoovEmulator } from '../../src/providers/moov/moov.emulator.js';
import {
  type RunningAwsSecretsManagerEmulator,
  startAwsSecretsManagerEmulator,
} from '../../src/sinks/aws-secrets-manager/aws-sm.emulator.js';

/** The SDK error a call fails with (the test fails if it succeeds). */
async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

describe('AWS Secrets Manager emulator quotas', () => {
  let aws: RunningAwsSecretsManagerEmulator;
  let sm: SecretsManagerClient;
  const secretId = 'quota/test';

  beforeAll(async () => {
    aws = await startAwsSecretsManagerEmulator();
    const { endpoint, region, accessKeyId, secretAccessKey } = aws.client;
    // One attempt: the SDK would otherwise retry a throttled call on its own.
    sm = new SecretsManagerClient({
      endpoint,
      region,
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });
    await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: 'v0' }));
  });
  afterAll(() => aws.server.close());

  const put = (value: string) =>
    sm.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: value,
        ClientRequestToken: randomUUID(),
      }),
    );

  it('enforces nothing unless switched on: 80 writes in a burst all succeed', async () => {
    expect(aws.server.quotas.enforced).toBe(false);
    await Promise.all(Array.from({ length: 80 }, (_, index) => put(`burst-${index}`)));
    expect(aws.server.calls.handled('PutSecretValue')).toHaveLength(80);
  });

  it('refuses the writes beyond the quota with ThrottlingException, reads untouched, and counts both', async () => {
    aws.server.quotas.configure({
      enforce: true,
      overrides: [{ name: 'writes', requests: 3, perMs: 60_000 }],
    });
    for (let index = 0; index < 3; index++) await put(`within-${index}`);

    const refused = await failure(put('beyond'));
    expect(refused.name).toBe('ThrottlingException');
    expect((refused.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(400);
    // Reads are not writes: the write quota does not count them.
    const read = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
    expect(read.SecretString).toBe('within-2');
    expect(aws.server.quotas.list()).toEqual([
      expect.objectContaining({ name: 'writes', requests: 3, perMs: 60_000, admitted: 3, throttled: 1 }),
    ]);
    aws.server.quotas.configure({ enforce: false });
  });

  it('is switched on and read through the control route; a bad setting is a 400 with the reason', async () => {
    const control = `${aws.server.origin}/__emulator/quotas`;
    const on = await fetch(control, {
      method: 'PUT',
      body: JSON.stringify({ enforce: true, overrides: [{ name: 'writes', requests: 1, perMs: 60_000 }] }),
    });
    expect(on.status).toBe(200);
    await put('one');
    expect((await failure(put('two'))).name).toBe('ThrottlingException');
    const state = (await (await fetch(control)).json()) as { enforced: boolean; quotas: unknown[] };
    expect(state).toEqual({
      enforced: true,
      quotas: [expect.objectContaining({ name: 'writes', admitted: 1, throttled: 1 })],
    });

    const unknown = await fetch(control, {
      method: 'PUT',
      body: JSON.stringify({ enforce: true, overrides: [{ name: 'reads', requests: 1 }] }),
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: 'no quota named reads; this emulator has: writes' });
    const malformed = await fetch(control, { method: 'PUT', body: JSON.stringify({ enforce: 'yes' }) });
    expect(malformed.status).toBe(400);
    await fetch(control, { method: 'PUT', body: JSON.stringify({ enforce: false }) });
  });
});

describe('Cloudflare emulator quota', () => {
  it('answers 429 with the v4 envelope and Retry-After once the token’s budget is spent', async () => {
    const emulator = await startCloudflareEmulator({
      quotas: { enforce: true, overrides: [{ name: 'api', requests: 2, perMs: 300_000 }] },
    });
    try {
      const { accountId, apiToken } = emulator.admin;
      const cf = new Cloudflare({ apiToken, baseURL: emulator.client.baseUrl, maxRetries: 0 });
      await cf.zeroTrust.access.serviceTokens.list({ account_id: accountId });
      await cf.zeroTrust.access.serviceTokens.list({ account_id: accountId });

      const refused = await failure(cf.zeroTrust.access.serviceTokens.list({ account_id: accountId }));
      expect(refused.status).toBe(429);
      expect(refused).toBeInstanceOf(Cloudflare.RateLimitError);
      const retryAfter = Number((refused.headers as Headers).get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(300);
    } finally {
      await emulator.server.close();
    }
  });
});

describe('Moov emulator quota', () => {
  it('documents 40 requests per second and answers 429 with Retry-After and X-Retry-In past it', async () => {
    const emulator = await startMoovEmulator();
    try {
      expect(emulator.server.quotas.list()).toEqual([
        expect.objectContaining({ name: 'api', routes: '*', requests: 40, perMs: 1_000 }),
      ]);
      // A window long enough that the test does not depend on how fast it runs.
      emulator.server.quotas.configure({ enforce: true, overrides: [{ name: 'api', perMs: 60_000 }] });
      const ping = () =>
        fetch(`${emulator.server.origin}/ping`, { headers: { authorization: 'Bearer nope' } });
      const answers = await Promise.all(Array.from({ length: 45 }, ping));
      // 40 reach the API (an unknown token is refused with 401), the rest are throttled.
      expect(answers.filter((answer) => answer.status === 401)).toHaveLength(40);
      const throttled = answers.filter((answer) => answer.status === 429);
      expect(throttled).toHaveLength(5);
      const seconds = Number(throttled[0]?.headers.get('retry-after'));
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(60);
      expect(Number(throttled[0]?.headers.get('x-retry-in'))).toBe(seconds * 1000);
    } finally {
      await emulator.server.close();
    }
  });
});
