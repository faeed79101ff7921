import { setTimeout as sleep } from 'node:timers/promises';
import { inspect as utilInspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/eventually.js';
import { isRotationError, type RotationError } from '../../domain/errors.js';
import { Secret } from '../../domain/secret.js';
import type { Resolved } from '../../domain/secret-reference.js';
import type { Fault } from '../../emulator-harness/fault-plan.js';
import type { SinkTarget } from '../sink.js';
import { type RunningAwsSecretsManagerEmulator, startAwsSecretsManagerEmulator } from './aws-sm.emulator.js';
import type { AwsSecretsManagerSettings } from './aws-sm.settings.js';
import { createAwsSecretsManagerSink } from './aws-sm.sink.js';

const V1 = '11111111-1111-4111-8111-111111111111';
const V2 = '22222222-2222-4222-8222-222222222222';
const V3 = '33333333-3333-4333-8333-333333333333';
const signal = new AbortController().signal;
const TIMEOUT_MS = 400;

let emulator: RunningAwsSecretsManagerEmulator;
let sink: ReturnType<typeof createAwsSecretsManagerSink>;
let secretCounter = 0;
/** Every credential value a test handed to the sink, to search error output for. */
const valuesUsed: string[] = [];

function settingsFor(
  overrides: Partial<Resolved<AwsSecretsManagerSettings>> = {},
): Resolved<AwsSecretsManagerSettings> {
  const { endpoint, region, accessKeyId, secretAccessKey } = emulator.client;
  return {
    type: 'aws-secrets-manager',
    region,
    endpoint,
    kmsKeyId: 'alias/rotor',
    tags: { team: 'platform' },
    timeout: TIMEOUT_MS,
    rateLimit: false,
    credentials: { accessKeyId: Secret.of(accessKeyId), secretAccessKey: Secret.of(secretAccessKey) },
    ...overrides,
  };
}

function newTarget(overrides: Partial<SinkTarget> = {}): SinkTarget {
  return {
    secretId: `prod/rotor/secret-${++secretCounter}`,
    policyId: 'ci-runner-access',
    adopt: false,
    ...overrides,
  };
}

function credential(label: string): Secret<string> {
  const value = `cred-${label}-${secretCounter}-Zq81xW`;
  valuesUsed.push(value);
  return Secret.of(value);
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

function expectNoSecretValues(error: RotationError): void {
  const outputs = [
    error.message,
    JSON.stringify(error),
    utilInspect(error, { depth: 5 }),
    String(error.stack),
  ];
  for (const value of [...valuesUsed, emulator.client.secretAccessKey]) {
    for (const output of outputs) expect(output).not.toContain(value);
  }
}

const stagesOf = (secretId: string) =>
  Object.fromEntries(
    emulator.store.view(secretId).versions.map((version) => [version.versionId, version.stages.sort()]),
  );

beforeAll(async () => {
  emulator = await startAwsSecretsManagerEmulator();
  sink = createAwsSecretsManagerSink(settingsFor());
});
afterAll(async () => {
  sink.close();
  await emulator.server.close();
});
beforeEach(() => {
  emulator.server.faults.clear();
});

describe('AWS Secrets Manager sink', () => {
  describe('inspect and ensure', () => {
    it('reports a missing secret as undefined', async () => {
      expect(await sink.inspect(newTarget(), signal)).toBeUndefined();
    });

    it("creates a missing secret with rotor's tags, the configured tags and KMS key, and no value", async () => {
      const target = newTarget();
      const state = await sink.ensure(target, signal);
      const view = emulator.store.view(target.secretId);
      expect(state).toEqual({
        arn: view.arn,
        currentVersionId: undefined,
        pendingVersionId: undefined,
        previousVersionId: undefined,
        labelledVersionIds: [],
      });
      expect(view.tags).toEqual({
        'managed-by': 'rotor',
        'rotor-policy': 'ci-runner-access',
        team: 'platform',
      });
      expect(view.kmsKeyId).toBe('alias/rotor');
      expect(view.versions).toEqual([]);
      expect(await sink.ensure(target, signal)).toEqual(state);
      expect(await sink.inspect(target, signal)).toEqual(state);
    });

    it('judges the secret another replica created between its check and its create', async () => {
      const target = newTarget();
      emulator.server.faults.add({ route: 'CreateSecret', fault: { kind: 'delay', delayMs: 150 }, times: 1 });
      const ensuring = sink.ensure(target, signal);
      while (emulator.server.faults.list().length > 0) await sleep(5);
      emulator.store.create({
        name: target.secretId,
        tags: new Map([
          ['managed-by', 'rotor'],
          ['rotor-policy', target.policyId],
        ]),
      });
      expect((await ensuring).arn).toBe(emulator.store.view(target.secretId).arn);
    });

    it('refuses a secret rotor did not create, naming the secret and the reason', async () => {
      const target = newTarget();
      emulator.store.create({ name: target.secretId, value: { kind: 'string', text: 'theirs' } });
      for (const call of [sink.inspect(target, signal), sink.ensure(target, signal)]) {
        const refused = await rejection(call);
        expect(refused.kind).toBe('invalid-config');
        expect(refused.message).toContain(target.secretId);
        expect(refused.message).toContain('rotor did not create it');
        expect(refused.message).toContain('adopt');
      }
    });

    it("refuses another rotor policy's secret", async () => {
      const target = newTarget();
      emulator.store.create({
        name: target.secretId,
        tags: new Map([
          ['managed-by', 'rotor'],
          ['rotor-policy', 'someone-else'],
        ]),
      });
      const refused = await rejection(sink.ensure({ ...target, adopt: true }, signal));
      expect(refused.kind).toBe('invalid-config');
      expect(refused.message).toContain('rotor policy someone-else');
    });

    it("adopts an existing secret when the policy allows it, tagging it as rotor's and keeping its versions", async () => {
      const target = newTarget({ adopt: true });
      emulator.store.create({
        name: target.secretId,
        clientRequestToken: V1,
        value: { kind: 'string', text: 'existing' },
        tags: new Map([['owner', 'legacy']]),
      });
      const state = await sink.ensure(target, signal);
      expect(state.currentVersionId).toBe(V1);
      expect(emulator.store.view(target.secretId).tags).toEqual({
        owner: 'legacy',
        'managed-by': 'rotor',
        'rotor-policy': target.policyId,
      });
      expect(await sink.inspect({ ...target, adopt: false }, signal)).toEqual(state);
    });

    it("refuses a secret under AWS's own rotation, even when adopting", async () => {
      const target = newTarget({ adopt: true });
      await sink.ensure(target, signal);
      const marked = await fetch(`${emulator.client.endpoint}/__emulator/rotation-enabled`, {
        method: 'POST',
        body: JSON.stringify({ secretId: target.secretId, enabled: true }),
      });
      expect(marked.status).toBe(200);
      const refused = await rejection(sink.ensure(target, signal));
      expect(refused.kind).toBe('invalid-config');
      expect(refused.message).toContain("under AWS's own rotation");
      expect((await rejection(sink.inspect(target, signal))).kind).toBe('invalid-config');
    });
  });

  describe('stage, read and promote', () => {
    it('stages a version as AWSPENDING with one PutSecretValue, reading nothing, and a retry of the same stage changes nothing', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      const reads = emulator.server.calls.all().filter((call) => call.routeId !== 'PutSecretValue').length;
      await sink.stage(target, V1, credential('first'), signal);
      const value = credential('second');
      await sink.stage(target, V2, value, signal);
      await sink.stage(target, V2, value, signal);
      // The first version got AWSCURRENT too; AWSPENDING moved from it to V2.
      expect(stagesOf(target.secretId)).toEqual({ [V1]: ['AWSCURRENT'], [V2]: ['AWSPENDING'] });
      expect(emulator.server.calls.handled('PutSecretValue').length).toBeGreaterThanOrEqual(3);
      expect(emulator.server.calls.all().filter((call) => call.routeId !== 'PutSecretValue')).toHaveLength(
        reads,
      );
    });

    it('refuses to stage a different value under a version id already used, as a rotor bug', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      await sink.stage(target, V1, credential('original'), signal);
      const refused = await rejection(sink.stage(target, V1, credential('different'), signal));
      expect(refused.kind).toBe('protocol');
      expect(refused.details.vendorCode).toBe('ResourceExistsException');
      expectNoSecretValues(refused);
    });

    it('reads a version by id and the current version, and undefined for what does not exist', async () => {
      const target = newTarget();
      expect(await sink.read(target, 'current', signal)).toBeUndefined();
      await sink.ensure(target, signal);
      expect(await sink.read(target, 'current', signal)).toBeUndefined();
      const first = credential('one');
      const second = credential('two');
      await sink.stage(target, V1, first, signal);
      await sink.stage(target, V2, second, signal);
      expect((await sink.read(target, 'current', signal))?.value.reveal()).toBe(first.reveal());
      const pending = await sink.read(target, { versionId: V2 }, signal);
      expect(pending?.value.reveal()).toBe(second.reveal());
      expect(pending).toMatchObject({ versionId: V2, stages: ['AWSPENDING'] });
      expect(await sink.read(target, { versionId: V3 }, signal)).toBeUndefined();
    });

    it('promotes the first staged version (AWSCURRENT already, by AWS) with the label moves alone, reading nothing', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      await sink.stage(target, V1, credential('first'), signal);
      const labelMoves = emulator.server.calls.handled('UpdateSecretVersionStage').length;
      const reads = emulator.server.calls.handled('DescribeSecret').length;
      expect(await sink.promote(target, V1, undefined, signal)).toEqual({ kind: 'promoted' });
      expect(emulator.server.calls.handled('UpdateSecretVersionStage')).toHaveLength(labelMoves + 2);
      expect(emulator.server.calls.handled('DescribeSecret')).toHaveLength(reads);
      expect(await sink.inspect(target, signal)).toMatchObject({
        currentVersionId: V1,
        pendingVersionId: undefined,
        previousVersionId: undefined,
      });
    });

    it('moves AWSCURRENT to the promoted version, AWSPREVIOUS to the old one, and drops AWSPENDING', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      await sink.stage(target, V1, credential('first'), signal);
      await sink.promote(target, V1, undefined, signal);
      const next = credential('next');
      await sink.stage(target, V2, next, signal);
      expect(await sink.promote(target, V2, V1, signal)).toEqual({ kind: 'promoted' });
      expect(await sink.inspect(target, signal)).toMatchObject({
        currentVersionId: V2,
        pendingVersionId: undefined,
        previousVersionId: V1,
      });
      expect((await sink.read(target, 'current', signal))?.value.reveal()).toBe(next.reveal());
    });

    it('is a no-op when promote is repeated: AWS refuses to move the label again, and nothing changes', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      await sink.stage(target, V1, credential('first'), signal);
      await sink.stage(target, V2, credential('next'), signal);
      await sink.promote(target, V2, V1, signal);
      expect(await sink.promote(target, V2, V1, signal)).toEqual({ kind: 'promoted' });
      expect(stagesOf(target.secretId)).toEqual({ [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT'] });
    });

    it('promotes with the two label moves alone: no DescribeSecret before them', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      await sink.stage(target, V1, credential('first'), signal);
      await sink.stage(target, V2, credential('next'), signal);
      const describes = emulator.server.calls.handled('DescribeSecret').length;
      await sink.promote(target, V2, V1, signal);
      expect(emulator.server.calls.handled('DescribeSecret')).toHaveLength(describes);
    });

    it('finishes a promote that crashed after moving AWSCURRENT', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      await sink.stage(target, V1, credential('first'), signal);
      await sink.promote(target, V1, undefined, signal);
      await sink.stage(target, V2, credential('next'), signal);
      emulator.store.updateStage(target.secretId, {
        versionStage: 'AWSCURRENT',
        moveToVersionId: V2,
        removeFromVersionId: V1,
      });
      expect(await sink.promote(target, V2, V1, signal)).toEqual({ kind: 'promoted' });
      expect(stagesOf(target.secretId)).toEqual({ [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT'] });
    });

    it('moves nothing when AWSCURRENT is no longer the version the caller saw: superseded, as AWS decides', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      await sink.stage(target, V1, credential('first'), signal);
      await sink.promote(target, V1, undefined, signal);
      await sink.stage(target, V2, credential('next'), signal);
      await sink.promote(target, V2, V1, signal);
      await sink.stage(target, V3, credential('stale view'), signal);
      // A run that started when V1 was current, and another run promoted V2 meanwhile.
      expect(await sink.promote(target, V3, V1, signal)).toEqual({
        kind: 'superseded',
        currentVersionId: V2,
      });
      // A run that saw no current version at all.
      expect(await sink.promote(target, V3, undefined, signal)).toEqual({
        kind: 'superseded',
        currentVersionId: V2,
      });
      expect(stagesOf(target.secretId)).toEqual({
        [V1]: ['AWSPREVIOUS'],
        [V2]: ['AWSCURRENT'],
        [V3]: ['AWSPENDING'],
      });
    });

    it('fails as not-found for a version that does not exist', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      await sink.stage(target, V1, credential('first'), signal);
      expect((await rejection(sink.promote(target, V3, V1, signal))).kind).toBe('not-found');
    });
  });

  describe('failures', () => {
    const faultCases: [string, RotationError['kind'], Fault][] = [
      ['a 5xx', 'transient', { kind: 'status', status: 500 }],
      ['throttling with Retry-After', 'rate-limited', { kind: 'rate-limit', retryAfterSeconds: 7 }],
      ['a delay beyond the timeout', 'transient', { kind: 'delay', delayMs: TIMEOUT_MS * 3 }],
      ['a malformed body', 'protocol', { kind: 'malformed' }],
      ['a dropped connection', 'transient', { kind: 'drop' }],
    ];

    it.each(faultCases)(
      'classifies %s on PutSecretValue as %s, without the value',
      async (_, kind, fault) => {
        const target = newTarget();
        await sink.ensure(target, signal);
        emulator.server.faults.add({ route: 'PutSecretValue', fault, times: 1 });
        const refused = await rejection(sink.stage(target, V1, credential('faulted'), signal));
        expect(refused.kind).toBe(kind);
        expect(refused.details).toMatchObject({ system: 'aws-secrets-manager', operation: 'PutSecretValue' });
        if (kind === 'rate-limited') expect(refused.details.retryAfterMs).toBe(7000);
        expectNoSecretValues(refused);
      },
    );

    it('classifies a failed read the same way and never leaks the value read', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      await sink.stage(target, V1, credential('readable'), signal);
      emulator.server.faults.add({ route: 'GetSecretValue', fault: { kind: 'malformed' }, times: 1 });
      const refused = await rejection(sink.read(target, 'current', signal));
      expect(refused.kind).toBe('protocol');
      expectNoSecretValues(refused);
    });

    it('classifies wrong credentials and an unknown access key as auth', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      const wrongKey = createAwsSecretsManagerSink(
        settingsFor({
          credentials: {
            accessKeyId: Secret.of(emulator.client.accessKeyId),
            secretAccessKey: Secret.of('not-the-secret-key'),
          },
        }),
      );
      const unknownKey = createAwsSecretsManagerSink(
        settingsFor({
          credentials: {
            accessKeyId: Secret.of('AKIANOBODY0000000000'),
            secretAccessKey: Secret.of('whatever'),
          },
        }),
      );
      try {
        for (const other of [wrongKey, unknownKey]) {
          const refused = await rejection(other.stage(target, V1, credential('unsent'), signal));
          expect(refused.kind).toBe('auth');
          expectNoSecretValues(refused);
          expect(refused.message).not.toContain('not-the-secret-key');
        }
      } finally {
        wrongKey.close();
        unknownKey.close();
      }
    });

    it('re-signs once when the server clock differs and the SDK has corrected its own', async () => {
      const ahead = await startAwsSecretsManagerEmulator({
        clock: { now: () => Date.now() + 3 * 60 * 60 * 1000 },
      });
      const { endpoint, region, accessKeyId, secretAccessKey } = ahead.client;
      const skewed = createAwsSecretsManagerSink(
        settingsFor({
          endpoint,
          region,
          credentials: { accessKeyId: Secret.of(accessKeyId), secretAccessKey: Secret.of(secretAccessKey) },
        }),
      );
      try {
        const target = newTarget();
        expect((await skewed.ensure(target, signal)).arn).toBe(ahead.store.view(target.secretId).arn);
      } finally {
        skewed.close();
        await ahead.server.close();
      }
    });

    it('stops when the caller aborts', async () => {
      const target = newTarget();
      await sink.ensure(target, signal);
      emulator.server.faults.add({
        route: 'DescribeSecret',
        fault: { kind: 'delay', delayMs: 200 },
        times: 1,
      });
      const aborting = new AbortController();
      const inspecting = sink.inspect(target, aborting.signal);
      aborting.abort();
      expect((await rejection(inspecting)).kind).toBe('transient');
    });

    it('abandons a call AWS is still answering when the caller aborts', async () => {
      // A deadline no test waits for: only the abort can end the call.
      const patient = createAwsSecretsManagerSink(settingsFor({ timeout: 600_000 }));
      try {
        const target = newTarget();
        await patient.ensure(target, signal);
        emulator.server.calls.clear();
        emulator.server.faults.add({
          route: 'DescribeSecret',
          fault: { kind: 'hold-response', delayMs: 600_000 },
          times: 1,
        });
        const aborting = new AbortController();
        const inspecting = patient.inspect(target, aborting.signal);
        await eventually('AWS to have the DescribeSecret', () =>
          emulator.server.calls.handled('DescribeSecret').length > 0 ? true : undefined,
        );
        aborting.abort();
        expect((await rejection(inspecting)).kind).toBe('transient');
      } finally {
        patient.close();
      }
    });
  });
});
