import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type Filter,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../lib/clock.js';
import { type RunningAwsSecretsManagerEmulator, startAwsSecretsManagerEmulator } from './aws-sm.emulator.js';

// Version ids (ClientRequestTokens) must be 32–64 characters.
const V1 = '11111111-1111-4111-8111-111111111111';
const V2 = '22222222-2222-4222-8222-222222222222';
const V3 = '33333333-3333-4333-8333-333333333333';

let clockMs = Date.now();
const clock: Clock = { now: () => clockMs };
let emulator: RunningAwsSecretsManagerEmulator;
let sm: SecretsManagerClient;
let secretCounter = 0;

function sdkClient(overrides: Partial<SecretsManagerClientConfig> = {}): SecretsManagerClient {
  const { endpoint, region, accessKeyId, secretAccessKey } = emulator.client;
  return new SecretsManagerClient({
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey },
    ...overrides,
  });
}

/** The SDK error a call fails with (the test fails if it succeeds). */
async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status: unknown }> {
  try {
    await promise;
  } catch (error) {
    const shape = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: shape.name, message: shape.message, status: shape.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

const uniqueName = () => `test/secret-${++secretCounter}`;

async function secretWithVersions(...versionIds: string[]): Promise<string> {
  const name = uniqueName();
  await sm.send(new CreateSecretCommand({ Name: name }));
  for (const [index, versionId] of versionIds.entries()) {
    await sm.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: versionId,
        SecretString: `value-${index}`,
      }),
    );
  }
  return name;
}

const stagesOf = async (secretId: string) =>
  (await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages;

beforeAll(async () => {
  emulator = await startAwsSecretsManagerEmulator({ clock });
  sm = sdkClient();
});
afterAll(async () => {
  sm.destroy();
  await emulator.server.close();
});
beforeEach(() => {
  clockMs = Date.now();
  emulator.server.faults.clear();
});

describe('AWS Secrets Manager emulator, driven by the official SDK', () => {
  describe('CreateSecret and DescribeSecret', () => {
    it('creates a secret without a value, with tags and a KMS key, and an ARN with a 6-character suffix', async () => {
      const created = await sm.send(
        new CreateSecretCommand({
          Name: 'prod/app/token',
          KmsKeyId: 'alias/rotor',
          Tags: [
            { Key: 'team', Value: 'platform' },
            { Key: 'managed-by', Value: 'rotor' },
          ],
        }),
      );
      expect(created.ARN).toMatch(
        /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:prod\/app\/token-[A-Za-z0-9]{6}$/,
      );
      expect(created.VersionId).toBeUndefined();
      const described = await sm.send(new DescribeSecretCommand({ SecretId: 'prod/app/token' }));
      expect(described).toMatchObject({
        ARN: created.ARN,
        Name: 'prod/app/token',
        KmsKeyId: 'alias/rotor',
        Tags: [
          { Key: 'team', Value: 'platform' },
          { Key: 'managed-by', Value: 'rotor' },
        ],
        VersionIdsToStages: {},
      });
      expect(described.RotationEnabled).toBeUndefined();
      // Epoch seconds on the wire become the emulator clock's instant in the SDK.
      expect(described.CreatedDate?.getTime()).toBe(clockMs);
    });

    it('gives the initial value of a created secret AWSCURRENT', async () => {
      const name = uniqueName();
      const created = await sm.send(
        new CreateSecretCommand({ Name: name, SecretString: 'first', ClientRequestToken: V1 }),
      );
      expect(created.VersionId).toBe(V1);
      expect(await stagesOf(name)).toEqual({ [V1]: ['AWSCURRENT'] });
    });

    it('treats a repeated create with the same token and value as a no-op, and refuses any other repeat', async () => {
      const name = uniqueName();
      const first = await sm.send(
        new CreateSecretCommand({ Name: name, SecretString: 'x', ClientRequestToken: V1 }),
      );
      const again = await sm.send(
        new CreateSecretCommand({ Name: name, SecretString: 'x', ClientRequestToken: V1 }),
      );
      expect(again).toMatchObject({ ARN: first.ARN, VersionId: V1 });
      expect(
        await failure(
          sm.send(new CreateSecretCommand({ Name: name, SecretString: 'y', ClientRequestToken: V1 })),
        ),
      ).toMatchObject({
        name: 'ResourceExistsException',
        status: 400,
      });
      expect(
        await failure(
          sm.send(new CreateSecretCommand({ Name: name, SecretString: 'x', ClientRequestToken: V2 })),
        ),
      ).toMatchObject({
        name: 'ResourceExistsException',
        message: `The operation failed because the secret ${name} already exists.`,
      });
    });

    it('finds a secret by name, full ARN and partial ARN', async () => {
      const name = uniqueName();
      const { ARN } = await sm.send(new CreateSecretCommand({ Name: name }));
      const partial = ARN?.slice(0, -7);
      for (const id of [name, ARN, partial]) {
        expect((await sm.send(new DescribeSecretCommand({ SecretId: id }))).ARN).toBe(ARN);
      }
    });

    it('answers ResourceNotFoundException for an unknown secret on every operation', async () => {
      const calls = [
        sm.send(new DescribeSecretCommand({ SecretId: 'missing' })),
        sm.send(new GetSecretValueCommand({ SecretId: 'missing' })),
        sm.send(new PutSecretValueCommand({ SecretId: 'missing', SecretString: 'v' })),
        sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: 'missing',
            VersionStage: 'X',
            MoveToVersionId: V1,
          }),
        ),
        sm.send(new ListSecretVersionIdsCommand({ SecretId: 'missing' })),
        sm.send(new TagResourceCommand({ SecretId: 'missing', Tags: [] })),
      ];
      for (const call of calls) {
        expect(await failure(call)).toEqual({
          name: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
          status: 400,
        });
      }
    });
  });

  describe('PutSecretValue', () => {
    it('always gives the first version AWSCURRENT, even when only AWSPENDING is asked for', async () => {
      const name = uniqueName();
      await sm.send(new CreateSecretCommand({ Name: name }));
      const put = await sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: V1,
          SecretString: 'v1',
          VersionStages: ['AWSPENDING'],
        }),
      );
      expect(put.VersionStages?.sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
    });

    it('moves AWSCURRENT to a new version by default and AWSPREVIOUS to the version it left', async () => {
      const name = await secretWithVersions(V1, V2, V3);
      expect(await stagesOf(name)).toEqual({ [V2]: ['AWSPREVIOUS'], [V3]: ['AWSCURRENT'] });
    });

    it('moves a label it is given off whichever version had it', async () => {
      const name = await secretWithVersions(V1);
      await sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: V2,
          SecretString: 'a',
          VersionStages: ['AWSPENDING'],
        }),
      );
      await sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: V3,
          SecretString: 'b',
          VersionStages: ['AWSPENDING'],
        }),
      );
      expect(await stagesOf(name)).toEqual({ [V1]: ['AWSCURRENT'], [V3]: ['AWSPENDING'] });
    });

    it('succeeds without change when a token is reused with the same value, and refuses a different value', async () => {
      const name = await secretWithVersions(V1);
      await sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: V2,
          SecretString: 'new',
          VersionStages: ['AWSPENDING'],
        }),
      );
      const repeat = await sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: V2,
          SecretString: 'new',
          VersionStages: ['AWSPENDING'],
        }),
      );
      expect(repeat).toMatchObject({ VersionId: V2, VersionStages: ['AWSPENDING'] });
      const conflict = await failure(
        sm.send(
          new PutSecretValueCommand({
            SecretId: name,
            ClientRequestToken: V2,
            SecretString: 'other',
            VersionStages: ['AWSPENDING'],
          }),
        ),
      );
      expect(conflict).toMatchObject({ name: 'ResourceExistsException', status: 400 });
      expect(conflict.message).toContain(`You can't use ClientRequestToken ${V2}`);
      expect(conflict.message).not.toContain('other');
      expect(await stagesOf(name)).toEqual({ [V1]: ['AWSCURRENT'], [V2]: ['AWSPENDING'] });
    });

    it('refuses a ClientRequestToken shorter than 32 characters', async () => {
      const name = await secretWithVersions(V1);
      const refused = await failure(
        sm.send(
          new PutSecretValueCommand({ SecretId: name, ClientRequestToken: 'short', SecretString: 'v' }),
        ),
      );
      expect(refused).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(refused.message).toContain("'clientRequestToken'");
    });
  });

  describe('GetSecretValue', () => {
    it('reads AWSCURRENT by default, and a version by id or by stage', async () => {
      const name = await secretWithVersions(V1, V2);
      const current = await sm.send(new GetSecretValueCommand({ SecretId: name }));
      expect(current).toMatchObject({
        VersionId: V2,
        SecretString: 'value-1',
        VersionStages: ['AWSCURRENT'],
      });
      expect((await sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: V1 }))).SecretString).toBe(
        'value-0',
      );
      const previous = await sm.send(
        new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }),
      );
      expect(previous.VersionId).toBe(V1);
      expect(current.CreatedDate?.getTime()).toBe(clockMs);
    });

    it('refuses a VersionId and VersionStage that do not belong together', async () => {
      const name = await secretWithVersions(V1, V2);
      expect(
        await failure(
          sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: V1, VersionStage: 'AWSCURRENT' })),
        ),
      ).toEqual({
        name: 'InvalidRequestException',
        message: 'You provided a VersionStage that is not associated to the provided VersionId.',
        status: 400,
      });
    });

    it('answers ResourceNotFoundException for a stage no version carries and a version that does not exist', async () => {
      const name = await secretWithVersions(V1);
      expect(
        await failure(sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPENDING' }))),
      ).toMatchObject({
        name: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
      });
      expect(
        await failure(sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: V3 }))),
      ).toMatchObject({
        name: 'ResourceNotFoundException',
      });
      const empty = uniqueName();
      await sm.send(new CreateSecretCommand({ Name: empty }));
      expect(await failure(sm.send(new GetSecretValueCommand({ SecretId: empty })))).toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });

  describe('UpdateSecretVersionStage', () => {
    it('refuses to move AWSCURRENT without RemoveFromVersionId naming the version that has it', async () => {
      const name = await secretWithVersions(V1);
      await sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: V2,
          SecretString: 'n',
          VersionStages: ['AWSPENDING'],
        }),
      );
      const refused = await failure(
        sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: V2,
          }),
        ),
      );
      expect(refused).toMatchObject({ name: 'InvalidParameterException', status: 400 });
      expect(refused.message).toContain(`Staging label AWSCURRENT is currently attached to version ${V1}`);
    });

    it('moves AWSCURRENT with RemoveFromVersionId, and AWSPREVIOUS follows to the version it left', async () => {
      const name = await secretWithVersions(V1, V2);
      await sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: V3,
          SecretString: 'n',
          VersionStages: ['AWSPENDING'],
        }),
      );
      const moved = await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: V3,
          RemoveFromVersionId: V2,
        }),
      );
      expect(moved.Name).toBe(name);
      expect(await stagesOf(name)).toEqual({ [V2]: ['AWSPREVIOUS'], [V3]: ['AWSPENDING', 'AWSCURRENT'] });
    });

    it('applies the RemoveFromVersionId rule to every label, not only AWSCURRENT', async () => {
      const name = await secretWithVersions(V1, V2);
      await sm.send(
        new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'BLUE', MoveToVersionId: V1 }),
      );
      expect(
        await failure(
          sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: name,
              VersionStage: 'BLUE',
              MoveToVersionId: V2,
            }),
          ),
        ),
      ).toMatchObject({ name: 'InvalidParameterException' });
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'BLUE',
          MoveToVersionId: V2,
          RemoveFromVersionId: V1,
        }),
      );
      expect(await stagesOf(name)).toEqual({ [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT', 'BLUE'] });
    });

    it('removes a label when only RemoveFromVersionId is given, and refuses a version that lacks it', async () => {
      const name = await secretWithVersions(V1);
      await sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: V2,
          SecretString: 'n',
          VersionStages: ['AWSPENDING'],
        }),
      );
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: V2,
        }),
      );
      expect(await stagesOf(name)).toEqual({ [V1]: ['AWSCURRENT'] });
      expect(
        await failure(
          sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: name,
              VersionStage: 'AWSPENDING',
              RemoveFromVersionId: V2,
            }),
          ),
        ),
      ).toMatchObject({
        name: 'InvalidParameterException',
        message: `Version stage AWSPENDING not found in version ${V2}`,
      });
    });

    it('refuses a version id the secret does not have', async () => {
      const name = await secretWithVersions(V1);
      expect(
        await failure(
          sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: name,
              VersionStage: 'AWSCURRENT',
              MoveToVersionId: V3,
              RemoveFromVersionId: V1,
            }),
          ),
        ),
      ).toMatchObject({ name: 'InvalidParameterException', message: `Not a valid version: ${V3}` });
    });
  });

  describe('ListSecretVersionIds', () => {
    it('lists labeled versions newest first, and deprecated ones only with IncludeDeprecated', async () => {
      const name = await secretWithVersions(V1, V2, V3);
      const labeled = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name }));
      expect(labeled.Versions?.map((version) => [version.VersionId, version.VersionStages])).toEqual([
        [V3, ['AWSCURRENT']],
        [V2, ['AWSPREVIOUS']],
      ]);
      expect(labeled.Versions?.[0]?.KmsKeyIds).toEqual(['DefaultEncryptionKey']);
      const all = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
      expect(all.Versions?.map((version) => version.VersionId)).toEqual([V3, V2, V1]);
      expect(all.Versions?.[2]?.VersionStages).toEqual([]);
    });

    it('pages with MaxResults and NextToken', async () => {
      const name = await secretWithVersions(V1, V2, V3);
      const first = await sm.send(
        new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true, MaxResults: 2 }),
      );
      expect(first.Versions?.map((version) => version.VersionId)).toEqual([V3, V2]);
      expect(first.NextToken).toBeDefined();
      const second = await sm.send(
        new ListSecretVersionIdsCommand({
          SecretId: name,
          IncludeDeprecated: true,
          MaxResults: 2,
          NextToken: first.NextToken,
        }),
      );
      expect(second.Versions?.map((version) => version.VersionId)).toEqual([V1]);
      expect(second.NextToken).toBeUndefined();
      expect(
        await failure(sm.send(new ListSecretVersionIdsCommand({ SecretId: name, NextToken: 'not-a-token' }))),
      ).toMatchObject({ name: 'InvalidNextTokenException' });
    });
  });

  describe('ListSecrets', () => {
    async function fleet(size: number): Promise<string> {
      const prefix = `list-${++secretCounter}/`;
      for (let index = 0; index < size; index++) {
        await sm.send(
          new CreateSecretCommand({
            Name: `${prefix}${index}`,
            SecretString: `value-${index}`,
            Tags: [{ Key: 'team', Value: index % 2 === 0 ? 'platform' : 'payments' }],
          }),
        );
      }
      return prefix;
    }

    it('pages through every secret with NextToken, oldest first, with tags and staging labels', async () => {
      const prefix = await fleet(5);
      const names: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await sm.send(
          new ListSecretsCommand({
            MaxResults: 2,
            NextToken: nextToken,
            Filters: [{ Key: 'name', Values: [prefix] }],
          }),
        );
        pages++;
        for (const entry of page.SecretList ?? []) {
          names.push(entry.Name ?? '');
          expect(entry.ARN).toBe(emulator.store.view(entry.Name ?? '').arn);
          expect(Object.values(entry.SecretVersionsToStages ?? {})).toEqual([['AWSCURRENT']]);
          expect(entry.Tags).toHaveLength(1);
        }
        nextToken = page.NextToken;
      } while (nextToken !== undefined);
      expect(pages).toBe(3);
      expect(names).toEqual([0, 1, 2, 3, 4].map((index) => `${prefix}${index}`));
    });

    it('ends on a full last page without a NextToken, paging the filtered secrets only', async () => {
      const prefix = await fleet(4);
      const first = await sm.send(
        new ListSecretsCommand({ MaxResults: 2, Filters: [{ Key: 'name', Values: [prefix] }] }),
      );
      const second = await sm.send(
        new ListSecretsCommand({
          MaxResults: 2,
          NextToken: first.NextToken,
          Filters: [{ Key: 'name', Values: [prefix] }],
        }),
      );
      expect(first.SecretList?.map((entry) => entry.Name)).toEqual([`${prefix}0`, `${prefix}1`]);
      expect(second.SecretList?.map((entry) => entry.Name)).toEqual([`${prefix}2`, `${prefix}3`]);
      expect(second.NextToken).toBeUndefined();
    });

    it('filters by name prefix, tag key and tag value ("!" negates), newest first on request', async () => {
      const prefix = await fleet(4);
      const listed = async (filters: Filter[], sortOrder?: 'asc' | 'desc') =>
        (
          await sm.send(
            new ListSecretsCommand({
              Filters: [{ Key: 'name', Values: [prefix] }, ...filters],
              SortOrder: sortOrder,
            }),
          )
        ).SecretList?.map((entry) => entry.Name?.slice(prefix.length));
      expect(await listed([{ Key: 'tag-value', Values: ['plat'] }])).toEqual(['0', '2']);
      expect(await listed([{ Key: 'tag-value', Values: ['!plat'] }])).toEqual(['1', '3']);
      expect(await listed([{ Key: 'tag-key', Values: ['team'] }], 'desc')).toEqual(['3', '2', '1', '0']);
      expect(await listed([{ Key: 'tag-key', Values: ['Team'] }])).toEqual([]);
    });

    it('refuses a filter key the emulator does not answer, and a token it did not issue', async () => {
      expect(
        await failure(sm.send(new ListSecretsCommand({ Filters: [{ Key: 'all', Values: ['x'] }] }))),
      ).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(await failure(sm.send(new ListSecretsCommand({ NextToken: 'not-a-token' })))).toMatchObject({
        name: 'InvalidNextTokenException',
        status: 400,
      });
    });
  });

  describe('TagResource and UntagResource', () => {
    it('adds and overwrites tags by key, and removes them idempotently', async () => {
      const name = uniqueName();
      await sm.send(new CreateSecretCommand({ Name: name, Tags: [{ Key: 'a', Value: '1' }] }));
      await sm.send(
        new TagResourceCommand({
          SecretId: name,
          Tags: [
            { Key: 'a', Value: '2' },
            { Key: 'b', Value: '3' },
          ],
        }),
      );
      expect((await sm.send(new DescribeSecretCommand({ SecretId: name }))).Tags).toEqual([
        { Key: 'a', Value: '2' },
        { Key: 'b', Value: '3' },
      ]);
      await sm.send(new UntagResourceCommand({ SecretId: name, TagKeys: ['a', 'never-there'] }));
      await sm.send(new UntagResourceCommand({ SecretId: name, TagKeys: ['a'] }));
      expect((await sm.send(new DescribeSecretCommand({ SecretId: name }))).Tags).toEqual([
        { Key: 'b', Value: '3' },
      ]);
    });
  });

  describe('authentication', () => {
    it('refuses a request signed with the wrong secret key', async () => {
      const wrong = sdkClient({
        credentials: { accessKeyId: emulator.client.accessKeyId, secretAccessKey: 'not-the-key' },
        maxAttempts: 1,
      });
      const refused = await failure(wrong.send(new DescribeSecretCommand({ SecretId: 'anything' })));
      wrong.destroy();
      expect(refused).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
      expect(refused.message).toContain('The request signature we calculated does not match');
    });

    it('refuses an access key it does not know', async () => {
      const stranger = sdkClient({
        credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' },
        maxAttempts: 1,
      });
      const refused = await failure(stranger.send(new DescribeSecretCommand({ SecretId: 'anything' })));
      stranger.destroy();
      expect(refused).toEqual({
        name: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
        status: 400,
      });
    });

    it('refuses a request signed for another region', async () => {
      const elsewhere = sdkClient({ region: 'eu-north-1', maxAttempts: 1 });
      const refused = await failure(elsewhere.send(new DescribeSecretCommand({ SecretId: 'anything' })));
      elsewhere.destroy();
      expect(refused).toMatchObject({
        name: 'InvalidSignatureException',
        message: expect.stringContaining("'eu-north-1'"),
      });
    });

    it('answers a signed body that is not JSON with SerializationException, which the SDK throws by name', async () => {
      const broken = sdkClient({ maxAttempts: 1 });
      // Ahead of the Content-Length and of signing, so both cover the broken body.
      broken.middlewareStack.add(
        (next) => (args) => {
          (args.request as { body: unknown }).body = '{"SecretId":';
          return next(args);
        },
        { step: 'build', priority: 'high' },
      );
      const refused = await failure(broken.send(new DescribeSecretCommand({ SecretId: 'anything' })));
      broken.destroy();
      expect(refused).toEqual({
        name: 'SerializationException',
        message: 'The request body is not valid JSON.',
        status: 400,
      });
    });

    it('answers an unsigned request with MissingAuthenticationTokenException in the AWS JSON error shape', async () => {
      const response = await fetch(`${emulator.client.endpoint}/`, {
        method: 'POST',
        headers: {
          'x-amz-target': 'secretsmanager.DescribeSecret',
          'content-type': 'application/x-amz-json-1.1',
        },
        body: '{"SecretId":"anything"}',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      expect(await response.json()).toEqual({
        __type: 'MissingAuthenticationTokenException',
        Message: 'Request is missing Authentication Token',
      });
    });

    it('refuses a signature dated more than 15 minutes from its clock, and the SDK recovers from its Date header', async () => {
      const ahead = await startAwsSecretsManagerEmulator({
        clock: { now: () => Date.now() + 2 * 60 * 60 * 1000 },
      });
      const { endpoint, region, accessKeyId, secretAccessKey } = ahead.client;
      const client = new SecretsManagerClient({
        endpoint,
        region,
        credentials: { accessKeyId, secretAccessKey },
        maxAttempts: 1,
      });
      try {
        const refused = await failure(client.send(new CreateSecretCommand({ Name: 'skewed' })));
        expect(refused).toMatchObject({
          name: 'InvalidSignatureException',
          message: expect.stringMatching(/^Signature expired: /),
        });
        // The SDK took the emulator's time from the Date header; the re-signed request is accepted.
        expect((await client.send(new CreateSecretCommand({ Name: 'skewed' }))).Name).toBe('skewed');
      } finally {
        client.destroy();
        await ahead.server.close();
      }
    });
  });

  describe('faults and control endpoint', () => {
    const control = (path: string, body: unknown) =>
      fetch(`${emulator.client.endpoint}/__emulator/${path}`, { method: 'POST', body: JSON.stringify(body) });

    it('answers a rate-limit fault set over HTTP as AWS throttling: ThrottlingException, HTTP 400, Retry-After', async () => {
      const name = await secretWithVersions(V1);
      const set = await control('faults', {
        route: 'GetSecretValue',
        fault: { kind: 'rate-limit', retryAfterSeconds: 7 },
      });
      expect(set.status).toBe(201);
      const single = sdkClient({ maxAttempts: 1 });
      try {
        await single.send(new GetSecretValueCommand({ SecretId: name }));
        expect.unreachable();
      } catch (error) {
        const shape = error as {
          name: string;
          $metadata: { httpStatusCode: number };
          $response: { headers: Record<string, string> };
        };
        expect(shape.name).toBe('ThrottlingException');
        expect(shape.$metadata.httpStatusCode).toBe(400);
        expect(shape.$response.headers['retry-after']).toBe('7');
      } finally {
        single.destroy();
      }
      // Other routes are untouched.
      expect((await sm.send(new DescribeSecretCommand({ SecretId: name }))).Name).toBe(name);
    });

    it('answers a 5xx fault with InternalServiceError, which the SDK itself retries', async () => {
      const name = await secretWithVersions(V1);
      await control('faults', { route: 'GetSecretValue', fault: { kind: 'status', status: 500 }, times: 1 });
      const single = sdkClient({ maxAttempts: 1 });
      expect(await failure(single.send(new GetSecretValueCommand({ SecretId: name })))).toMatchObject({
        name: 'InternalServiceError',
        status: 500,
      });
      single.destroy();
      await control('faults', { route: 'GetSecretValue', fault: { kind: 'status', status: 500 }, times: 1 });
      expect((await sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('value-0');
    });

    it('answers a malformed fault with a 200 the SDK cannot deserialize', async () => {
      const name = await secretWithVersions(V1);
      await control('faults', { route: 'DescribeSecret', fault: { kind: 'malformed' }, times: 1 });
      expect(await failure(sm.send(new DescribeSecretCommand({ SecretId: name })))).toMatchObject({
        name: 'SyntaxError',
        status: 200,
      });
    });

    it('marks a secret as under AWS rotation through the control endpoint', async () => {
      const name = await secretWithVersions(V1);
      const response = await control('rotation-enabled', { secretId: name, enabled: true });
      expect(response.status).toBe(200);
      expect((await sm.send(new DescribeSecretCommand({ SecretId: name }))).RotationEnabled).toBe(true);
      expect((await control('rotation-enabled', { secretId: 'missing', enabled: true })).status).toBe(404);
    });

    it('seeds secrets over HTTP and lists them without their values', async () => {
      const seeded = await control('secrets', {
        name: 'seeded/one',
        secretString: 'seed-value-123',
        tags: { team: 'x' },
      });
      expect(seeded.status).toBe(201);
      expect((await sm.send(new GetSecretValueCommand({ SecretId: 'seeded/one' }))).SecretString).toBe(
        'seed-value-123',
      );
      const listing = await (await fetch(`${emulator.client.endpoint}/__emulator/secrets`)).text();
      expect(listing).toContain('seeded/one');
      expect(listing).not.toContain('seed-value-123');
    });

    it('records calls by operation, never with their bodies', async () => {
      emulator.server.calls.clear();
      const name = uniqueName();
      await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'do-not-record-me' }));
      expect(emulator.server.calls.handled('CreateSecret')).toHaveLength(1);
      const calls = await (await fetch(`${emulator.client.endpoint}/__emulator/calls`)).text();
      expect(calls).not.toContain('do-not-record-me');
    });
  });
});
