import type { ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { Moov } from '@moovio/sdk';
import { Resources } from '@tago-io/sdk';
import Cloudflare from 'cloudflare';
import { afterAll, describe, expect, it } from 'vitest';
import { startRotor } from './support/cli-run.js';

let child: ChildProcessByStdio<null, Readable, Readable> | undefined;

afterAll(() => {
  child?.kill('SIGTERM');
});

async function firstLine(...extra: string[]): Promise<string> {
  child?.kill('SIGTERM');
  child = startRotor(['emulators', '--port', '0', ...extra]);
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) return line;
  throw new Error('rotor emulators printed nothing');
}

describe('rotor emulators', () => {
  it('prints one JSON line with what the official clients need, and they work', async () => {
    const info = JSON.parse(await firstLine()) as {
      cloudflare: { baseUrl: string; accountId: string; apiToken: string };
      telenor: { baseUrl: string; session: string; apiToken: string };
      tagoio: { baseUrl: string; token: string };
      moov: { baseUrl: string; publicKey: string; secretKey: string };
      aws: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
    };
    expect(info.cloudflare.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    expect(info.aws.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const cf = new Cloudflare({
      apiToken: info.cloudflare.apiToken,
      baseURL: info.cloudflare.baseUrl,
      maxRetries: 0,
    });
    const created = await cf.zeroTrust.access.serviceTokens.create({
      account_id: info.cloudflare.accountId,
      name: 'from-cli',
    });
    expect(created.name).toBe('from-cli');

    const telenor = await fetch(`${info.telenor.baseUrl}/tokens`, {
      method: 'POST',
      headers: { cookie: info.telenor.session, 'content-type': 'application/json' },
      body: JSON.stringify({ resource: '/', write: false }),
    });
    expect(telenor.status).toBe(201);
    const tagoio = new Resources({
      token: info.tagoio.token,
      region: { api: info.tagoio.baseUrl, sse: info.tagoio.baseUrl },
    });
    expect(
      (await tagoio.serviceAuthorization.tokenCreate({ name: 'from-cli', permission: 'read' })).name,
    ).toBe('from-cli');
    const moov = new Moov({
      security: { username: info.moov.publicKey, password: info.moov.secretKey },
      serverURL: info.moov.baseUrl,
    });
    const minted = await moov.authentication.createAccessToken({
      grantType: 'client_credentials',
      scope: '/ping.read',
    });
    expect(minted.result.tokenType).toBe('Bearer');
    const ping = await fetch(`${info.telenor.baseUrl}/`, {
      headers: { 'x-api-token': info.telenor.apiToken },
    });
    expect(ping.status).toBe(200);

    const aws = new SecretsManagerClient({
      endpoint: info.aws.endpoint,
      region: info.aws.region,
      credentials: { accessKeyId: info.aws.accessKeyId, secretAccessKey: info.aws.secretAccessKey },
    });
    await aws.send(new CreateSecretCommand({ Name: 'from-cli', SecretString: '{"a":"b"}' }));
    const described = await aws.send(new DescribeSecretCommand({ SecretId: 'from-cli' }));
    expect(described.Name).toBe('from-cli');
    aws.destroy();
  });

  it('with --quotas enforces the documented quotas from the start', async () => {
    const info = JSON.parse(await firstLine('--quotas')) as Record<
      string,
      { baseUrl?: string; endpoint?: string }
    >;
    const enforced = async (origin: string | undefined) =>
      ((await (await fetch(`${origin}/__emulator/quotas`)).json()) as { enforced: boolean }).enforced;
    expect(await enforced(info.aws?.endpoint)).toBe(true);
    expect(await enforced(info.moov?.baseUrl)).toBe(true);
    // TagoIO documents no number: nothing to enforce.
    expect(await enforced(info.tagoio?.baseUrl)).toBe(false);
  });
});
