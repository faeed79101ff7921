import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../domain/secret.js';
import type { InspectOutcome, SinkTarget } from '../sink.js';
import { type RunningAwsSecretsManagerEmulator, startAwsSecretsManagerEmulator } from './aws-sm.emulator.js';
import { createAwsSecretsManagerSink } from './aws-sm.sink.js';

const signal = new AbortController().signal;
let emulator: RunningAwsSecretsManagerEmulator;
let sink: ReturnType<typeof createAwsSecretsManagerSink>;
let fleetCounter = 0;

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
});
afterAll(async () => {
  sink.close();
  await emulator.server.close();
});
beforeEach(() => {
  emulator.server.faults.clear();
});

/** `existing` secrets of this policy fleet in the emulator (with a current version), then `missing` more. */
function fleet(existing: number, missing: number): SinkTarget[] {
  const fleetId = ++fleetCounter;
  const targets = Array.from({ length: existing + missing }, (_, index) => ({
    secretId: `fleet-${fleetId}/${index}`,
    policyId: `policy-${fleetId}-${index}`,
    adopt: false,
  }));
  for (const target of targets.slice(0, existing)) {
    emulator.store.create({
      name: target.secretId,
      tags: new Map([
        ['managed-by', 'rotor'],
        ['rotor-policy', target.policyId],
      ]),
      clientRequestToken: randomUUID(),
      value: { kind: 'string', text: '{}' },
    });
  }
  emulator.server.calls.clear();
  return targets;
}

const currentVersionOf = (outcome: InspectOutcome | undefined) =>
  outcome?.ok ? outcome.state?.currentVersionId : `failed: ${String(outcome?.error)}`;

describe('inspecting a fleet of secrets at once', () => {
  it('answers from ListSecrets pages and describes only the secrets the listing lacks', async () => {
    const targets = fleet(230, 20);
    const outcomes = await sink.inspectMany(targets, signal);

    const totalSecrets = emulator.store.list().length;
    expect(emulator.server.calls.handled('ListSecrets')).toHaveLength(Math.ceil(totalSecrets / 100));
    expect(emulator.server.calls.handled('DescribeSecret')).toHaveLength(20);
    for (const [index, target] of targets.entries()) {
      const outcome = outcomes[index];
      if (index < 230) {
        const view = emulator.store.view(target.secretId);
        expect(outcome).toEqual({
          ok: true,
          state: {
            arn: view.arn,
            currentVersionId: view.versions[0]?.versionId,
            pendingVersionId: undefined,
            previousVersionId: undefined,
            labelledVersionIds: view.versions.map((version) => version.versionId),
          },
        });
      } else expect(outcome).toEqual({ ok: true, state: undefined });
    }
  });

  it('finds a secret named by its ARN', async () => {
    const targets = fleet(120, 0);
    const byArn = targets.map((target) => ({
      ...target,
      secretId: emulator.store.view(target.secretId).arn,
    }));
    const outcomes = await sink.inspectMany(byArn, signal);
    expect(emulator.server.calls.handled('DescribeSecret')).toHaveLength(0);
    expect(outcomes.every((outcome) => currentVersionOf(outcome)?.length === 36)).toBe(true);
  });

  it('gives a secret rotor may not write the refusal inspect would throw', async () => {
    const targets = fleet(150, 0);
    const stranger = targets[7] as SinkTarget;
    emulator.store.untag(stranger.secretId, ['managed-by', 'rotor-policy']);
    const outcomes = await sink.inspectMany(targets, signal);
    const expected = await sink.inspect(stranger, signal).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(expected).toBeDefined();
    expect(outcomes[7]).toEqual({ ok: false, error: expected });
    expect(outcomes.filter((outcome) => !outcome.ok)).toHaveLength(1);
  });

  it('describes every secret when the listing is refused (a role without ListSecrets)', async () => {
    const targets = fleet(110, 5);
    emulator.server.faults.add({ route: 'ListSecrets', fault: { kind: 'status', status: 403 }, times: 1 });
    const outcomes = await sink.inspectMany(targets, signal);
    expect(emulator.server.calls.all().filter((call) => call.routeId === 'ListSecrets')).toMatchObject([
      { status: 400 }, // AccessDeniedException: AWS JSON errors are HTTP 400
    ]);
    expect(emulator.server.calls.handled('DescribeSecret')).toHaveLength(115);
    expect(outcomes.slice(0, 110).every((outcome) => outcome.ok && outcome.state !== undefined)).toBe(true);
    expect(outcomes.slice(110)).toEqual(Array(5).fill({ ok: true, state: undefined }));
  });

  it('keeps what the pages before a failed one showed and describes only the rest', async () => {
    const targets = fleet(250, 0);
    // The listing fails on the page after the one that holds this fleet's first 50 secrets.
    const names = emulator.store.all().map((secret) => secret.name);
    const pagesServed = Math.ceil((names.indexOf(targets[49]?.secretId ?? '') + 1) / 100);
    const shown = new Set(names.slice(0, pagesServed * 100));
    const shownBeforeFailure = targets.filter((target) => shown.has(target.secretId)).length;
    expect(shownBeforeFailure).toBeGreaterThanOrEqual(50);
    emulator.server.faults.add({
      route: 'ListSecrets',
      fault: { kind: 'delay', delayMs: 0 },
      times: pagesServed,
    });
    emulator.server.faults.add({ route: 'ListSecrets', fault: { kind: 'status', status: 403 }, times: 1 });
    const outcomes = await sink.inspectMany(targets, signal);
    expect(emulator.server.calls.handled('DescribeSecret')).toHaveLength(250 - shownBeforeFailure);
    expect(outcomes.every((outcome) => currentVersionOf(outcome)?.length === 36)).toBe(true);
  });

  it('describes each secret of a small fleet without listing the account', async () => {
    const targets = fleet(10, 2);
    const outcomes = await sink.inspectMany(targets, signal);
    expect(emulator.server.calls.handled('ListSecrets')).toHaveLength(0);
    expect(emulator.server.calls.handled('DescribeSecret')).toHaveLength(12);
    expect(outcomes.map(currentVersionOf).filter((version) => version === undefined)).toHaveLength(2);
  });
});
