import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsSecrets } from '../../../test/support/aws-secrets.js';
import { Secret } from '../../domain/secret.js';
import { ROTOR_LABEL, type SinkTarget } from '../sink.js';
import { type RunningAwsSecretsManagerEmulator, startAwsSecretsManagerEmulator } from './aws-sm.emulator.js';
import { createAwsSecretsManagerSink } from './aws-sm.sink.js';

const V1 = '11111111-1111-4111-8111-111111111111';
const V2 = '22222222-2222-4222-8222-222222222222';
const LABEL = ROTOR_LABEL.rolledBack;
const signal = new AbortController().signal;

let emulator: RunningAwsSecretsManagerEmulator;
let sink: ReturnType<typeof createAwsSecretsManagerSink>;
let aws: AwsSecrets;
let secretCounter = 0;

beforeAll(async () => {
  emulator = await startAwsSecretsManagerEmulator();
  const { endpoint, region, accessKeyId, secretAccessKey } = emulator.client;
  sink = createAwsSecretsManagerSink({
    type: 'aws-secrets-manager',
    region,
    endpoint,
    kmsKeyId: undefined,
    tags: {},
    timeout: 5_000,
    rateLimit: false,
    credentials: { accessKeyId: Secret.of(accessKeyId), secretAccessKey: Secret.of(secretAccessKey) },
  });
  aws = new AwsSecrets(emulator.client);
});
afterAll(async () => {
  aws.close();
  sink.close();
  await emulator.server.close();
});

/** A secret of rotor's after two rotations, written through the sink: V2 AWSCURRENT, V1 AWSPREVIOUS. */
async function rotatedTwice(): Promise<SinkTarget> {
  const target = { secretId: `prod/rollback/secret-${++secretCounter}`, policyId: 'gateway', adopt: false };
  await sink.ensure(target, signal);
  await sink.stage(target, V1, Secret.of('{"token":"first"}'), signal);
  expect(await sink.promote(target, V1, undefined, signal)).toEqual({ kind: 'promoted' });
  await sink.stage(target, V2, Secret.of('{"token":"second"}'), signal);
  expect(await sink.promote(target, V2, V1, signal)).toEqual({ kind: 'promoted' });
  return target;
}

/** Every version's labels, read with the official AWS SDK. */
async function labels(target: SinkTarget): Promise<Record<string, readonly string[]>> {
  const versions = await aws.versions(target.secretId);
  return Object.fromEntries(versions.map((version) => [version.versionId, version.stages]));
}

const labelMoves = () => emulator.server.calls.handled('UpdateSecretVersionStage').length;

describe('AWS Secrets Manager sink: moveLabel', () => {
  it('puts a label that no version carries on the version named, leaving the other labels as they were', async () => {
    const target = await rotatedTwice();

    await sink.moveLabel(target, V2, LABEL, signal);

    expect(await labels(target)).toEqual({
      [V1]: ['AWSPREVIOUS'],
      [V2]: ['AWSCURRENT', LABEL],
    });
  });

  it('moving the label to another version takes it off the first: one version carries it', async () => {
    const target = await rotatedTwice();
    await sink.moveLabel(target, V2, LABEL, signal);

    await sink.moveLabel(target, V1, LABEL, signal);

    expect(await labels(target)).toEqual({
      [V1]: ['AWSPREVIOUS', LABEL],
      [V2]: ['AWSCURRENT'],
    });
  });

  it('moving the label onto the version that carries it is a no-op: no label is moved at AWS and nothing changes', async () => {
    const target = await rotatedTwice();
    await sink.moveLabel(target, V1, LABEL, signal);
    const before = await labels(target);
    const movesBefore = labelMoves();

    await sink.moveLabel(target, V1, LABEL, signal);

    expect(labelMoves()).toBe(movesBefore);
    expect(await labels(target)).toEqual(before);
    expect(before[V1]).toContain(LABEL);
  });
});
