import { randomUUID } from 'node:crypto';
import { ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import Cloudflare from 'cloudflare';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type RotationWiring, wireRotations } from '../../src/daemon/rotation-deps.js';
import { manualRunId } from '../../src/domain/ids.js';
import { type RotationResult, runRotation } from '../../src/engine/run-rotation.js';
import { Journal } from '../../src/state/journal.js';
import { stateKeys } from '../../src/state/redis-keys.js';
import { accessAdmits as admittedByAccess } from '../support/access-probe.js';
import { type EmulatedWorld, policyNamed, startEmulatedWorld } from '../support/emulated-world.js';
import { eventually } from '../support/eventually.js';
import { memoryLogger } from '../support/memory-log.js';
import { rotationFailure } from '../support/rotation-failure.js';

const HOUR = 3_600_000;
let offsetMs = 0;
const clock = { now: () => Date.now() + offsetMs };

let world: EmulatedWorld;
let config: RotorConfig;
let infra: RedisInfrastructure;
let wiring: RotationWiring;
let tokens: Record<
  'rotating' | 'refreshing' | 'broken',
  { id: string; clientId: string; clientSecret: string }
>;
const logged = memoryLogger();

beforeAll(async () => {
  world = await startEmulatedWorld({ clock });
  tokens = {
    rotating: world.cloudflare.seedToken({ name: 'ci-runner', duration: '8760h' }),
    refreshing: world.cloudflare.seedToken({ name: 'deploy', duration: '720h' }),
    broken: world.cloudflare.seedToken({ name: 'broken', duration: '8760h' }),
  };
  config = await world.config(`
    - id: ci-runner
      connection: cf
      action: rotate
      target: { serviceTokenId: ${tokens.rotating.id} }
      schedule: { every: 1d }
      gracePeriod: 2h
      verify: { url: ${world.cloudflare.client.accessUrl} }
      secret: { id: ci/cloudflare-access }
    - id: deploy
      connection: cf
      action: refresh
      target: { serviceTokenId: ${tokens.refreshing.id} }
      schedule: { every: 1d }
      secret: { id: deploy/cloudflare-access }
    - id: broken
      connection: cf
      action: rotate
      target: { serviceTokenId: ${tokens.broken.id} }
      schedule: { every: 1d }
      secret: { id: broken/cloudflare-access }
  `);
  infra = connectRedis(config);
  wiring = wireRotations(config, infra, { clock, log: logged.log });
});

afterAll(async () => {
  wiring?.close();
  await infra?.close();
  await world.close();
});

beforeEach(() => {
  world.cloudflare.server.faults.clear();
  world.aws.server.faults.clear();
  world.cloudflare.server.calls.clear();
  world.aws.server.calls.clear();
});

function rotate(policyId: string, runId = manualRunId(policyId, clock.now())): Promise<RotationResult> {
  return runRotation(wiring.deps, {
    policy: policyNamed(config, policyId),
    runId,
    trigger: 'manual',
    signal: new AbortController().signal,
  });
}

interface StoredCredential {
  serviceTokenId: string;
  clientId: string;
  clientSecret: string;
  expiresAt: string | null;
}

function stored(secretId: string, selector: { versionId?: string; versionStage?: string } = {}) {
  const text = world.aws.store.valueOf(secretId, selector);
  if (text === undefined) throw new Error(`no string value in ${secretId}`);
  return JSON.parse(text) as StoredCredential;
}

const accessAdmits = (credential: { clientId: string; clientSecret: string }) =>
  admittedByAccess(world.cloudflare.client.accessUrl ?? '', credential);

/** The policy's journal slot, read as the engine reads it. */
const journalOf = (policyId: string) =>
  new Journal(infra.redis, {
    prefix: config.redis.prefix,
    keys: config.journal.keys,
    activeKeyId: config.journal.activeKeyId,
  }).get(policyId);

/** Every version of the secret, as the official AWS SDK lists them (none when the secret does not exist). */
async function awsVersionIds(secretId: string): Promise<string[]> {
  const { endpoint, region, accessKeyId, secretAccessKey } = world.aws.client;
  const sm = new SecretsManagerClient({
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey },
    // The emulator runs on the test's clock; requests are signed for its time.
    systemClockOffset: clock.now() - Date.now(),
  });
  try {
    const listed = await sm.send(
      new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }),
    );
    return (listed.Versions ?? []).map((version) => version.VersionId ?? '');
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return [];
    throw error;
  } finally {
    sm.destroy();
  }
}

const stagesOf = (secretId: string) =>
  Object.fromEntries(world.aws.store.view(secretId).versions.map((v) => [v.versionId, [...v.stages].sort()]));

describe('rotate (native grace)', () => {
  it('creates the missing secret, tagged as rotor’s, with the new credential as AWSCURRENT', async () => {
    const result = await rotate('ci-runner');

    const view = world.aws.store.view('ci/cloudflare-access');
    expect(view.tags).toMatchObject({ 'managed-by': 'rotor', 'rotor-policy': 'ci-runner' });
    expect(stagesOf('ci/cloudflare-access')).toEqual({ [result.versionId]: ['AWSCURRENT'] });
    const credential = stored('ci/cloudflare-access');
    expect(credential.serviceTokenId).toBe(tokens.rotating.id);
    expect(credential.clientSecret).not.toBe(tokens.rotating.clientSecret);
    expect(await accessAdmits(credential)).toBe(true);

    const record = await infra.records.get('ci-runner');
    expect(record.current).toMatchObject({ runId: result.runId, versionId: result.versionId });
    expect(record.inFlight).toBeUndefined();
    const [entry] = await infra.history.recent('ci-runner');
    expect(entry).toMatchObject({
      outcome: 'succeeded',
      versionId: result.versionId,
      steps: ['issue', 'journal', 'stage', 'verify', 'promote', 'commit'],
    });
  });

  it('keeps the displaced secret working for the grace period, then Cloudflare refuses it', async () => {
    const before = stored('ci/cloudflare-access');
    const beforeVersion = world.aws.store.view('ci/cloudflare-access').versions.at(-1)?.versionId ?? '';
    offsetMs += 1;
    const result = await rotate('ci-runner');

    expect(stagesOf('ci/cloudflare-access')).toEqual({
      [beforeVersion]: ['AWSPREVIOUS'],
      [result.versionId]: ['AWSCURRENT'],
    });
    const after = stored('ci/cloudflare-access');
    expect(after.clientId).toBe(before.clientId);
    expect(await accessAdmits(after)).toBe(true);
    expect(await accessAdmits(before)).toBe(true);
    expect(result.revoke).toBeUndefined();

    offsetMs += 2 * HOUR + 1000;
    expect(await accessAdmits(before)).toBe(false);
    expect(await accessAdmits(after)).toBe(true);
  });

  it('answers a re-delivered job of a committed run without issuing again', async () => {
    const runId = manualRunId('ci-runner', clock.now());
    const first = await rotate('ci-runner', runId);
    world.cloudflare.server.calls.clear();

    const again = await rotate('ci-runner', runId);

    expect(again).toMatchObject({ runId, versionId: first.versionId, alreadyDone: true });
    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(0);
  });

  it('answers a re-delivered job of a committed run even when the journal slot is unreadable', async () => {
    const runId = manualRunId('ci-runner', clock.now());
    const first = await rotate('ci-runner', runId);
    const journalKey = stateKeys.journal(config.redis.prefix, 'ci-runner');
    await infra.redis.set(journalKey, 'not a journal entry');
    try {
      const again = await rotate('ci-runner', runId);
      expect(again).toMatchObject({ runId, versionId: first.versionId, alreadyDone: true });

      offsetMs += 1;
      const error = await rotationFailure(rotate('ci-runner'));
      expect(error.kind).toBe('protocol');
      expect(error.message).toContain('policy ci-runner: its journal entry is corrupt');
    } finally {
      await infra.redis.del(journalKey);
    }
  });
});

describe('the journal', () => {
  it('survives an AWS outage during staging: the next attempt stages the journaled credential, issuing once', async () => {
    world.aws.server.faults.add({ route: 'PutSecretValue', fault: { kind: 'status', status: 503 } });
    const firstRunId = manualRunId('ci-runner', clock.now());

    const error = await rotationFailure(rotate('ci-runner', firstRunId));
    expect(error.kind).toBe('transient');
    expect(error.details).toMatchObject({ policyId: 'ci-runner', step: 'stage' });
    expect((await infra.records.get('ci-runner')).inFlight).toMatchObject({
      runId: firstRunId,
      step: 'journaled',
    });
    const journal = new Journal(infra.redis, {
      prefix: config.redis.prefix,
      keys: config.journal.keys,
      activeKeyId: config.journal.activeKeyId,
    });
    expect((await journal.get('ci-runner'))?.runId).toBe(firstRunId);

    world.aws.server.faults.clear();
    offsetMs += 1;
    const result = await rotate('ci-runner');

    expect(result.runId).toBe(firstRunId);
    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);
    expect(await journal.get('ci-runner')).toBeUndefined();
    expect(await accessAdmits(stored('ci/cloudflare-access'))).toBe(true);
  });

  it('resumes a run that stopped after staging at verify, without issuing or staging again', async () => {
    world.cloudflare.server.faults.add({
      route: 'accessApplication',
      fault: { kind: 'status', status: 502 },
      times: 1,
    });
    const runId = manualRunId('ci-runner', clock.now());
    const error = await rotationFailure(rotate('ci-runner', runId));
    expect(error).toMatchObject({ kind: 'transient', details: { step: 'verify', status: 502 } });
    expect((await infra.records.get('ci-runner')).inFlight?.step).toBe('staged');

    const result = await rotate('ci-runner', runId);

    expect(result.runId).toBe(runId);
    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);
    expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
    expect(stagesOf('ci/cloudflare-access')[result.versionId]).toEqual(['AWSCURRENT']);
  });

  it('resumes a run that stopped half-way through promoting: verifies again, finishes the promote, commits', async () => {
    // The first UpdateSecretVersionStage (AWSCURRENT moves) goes through, the second (AWSPENDING removed) fails.
    world.aws.server.faults.add({
      route: 'UpdateSecretVersionStage',
      fault: { kind: 'delay', delayMs: 0 },
      times: 1,
    });
    world.aws.server.faults.add({
      route: 'UpdateSecretVersionStage',
      fault: { kind: 'status', status: 503 },
      times: 1,
    });
    const runId = manualRunId('ci-runner', clock.now());
    const error = await rotationFailure(rotate('ci-runner', runId));
    expect(error).toMatchObject({ kind: 'transient', details: { step: 'promote' } });
    const inFlight = (await infra.records.get('ci-runner')).inFlight;
    expect(inFlight?.step).toBe('staged');
    expect(stagesOf('ci/cloudflare-access')[inFlight?.versionId ?? '']).toEqual(['AWSCURRENT', 'AWSPENDING']);

    const result = await rotate('ci-runner', runId);

    expect(result).toMatchObject({ runId, versionId: inFlight?.versionId });
    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);
    expect(world.aws.server.calls.handled('PutSecretValue')).toHaveLength(1);
    expect(stagesOf('ci/cloudflare-access')[result.versionId]).toEqual(['AWSCURRENT']);
    expect((await infra.records.get('ci-runner')).current?.versionId).toBe(result.versionId);
  });
});

describe('acts checked against AWS and fenced against other jobs', () => {
  it('stops a run whose view of AWSCURRENT was superseded before its promote: nothing moves, nothing to revoke, its run is dropped', async () => {
    const secretId = 'ci/cloudflare-access';
    await rotate('ci-runner');
    const before = stagesOf(secretId);
    // The run is held at verify (after staging) while someone else puts a new AWSCURRENT in place.
    world.cloudflare.server.faults.add({
      route: 'accessApplication',
      fault: { kind: 'delay', delayMs: 1_500 },
      times: 1,
    });
    offsetMs += 1;
    const running = rotationFailure(rotate('ci-runner'));
    const staged = await eventually(
      'the run to stage its version',
      async () => (await infra.records.get('ci-runner')).inFlight?.versionId,
    );
    const current = Object.keys(before).find((id) => before[id]?.includes('AWSCURRENT')) ?? '';
    const elsewhere = randomUUID();
    world.aws.store.putValue(secretId, {
      clientRequestToken: elsewhere,
      value: { kind: 'string', text: world.aws.store.valueOf(secretId) ?? '' },
      versionStages: ['OPERATOR'],
    });
    world.aws.store.updateStage(secretId, {
      versionStage: 'AWSCURRENT',
      moveToVersionId: elsewhere,
      removeFromVersionId: current,
    });

    const error = await running;

    expect(error).toMatchObject({ kind: 'protocol', details: { policyId: 'ci-runner', step: 'promote' } });
    expect(error.message).toContain(`AWSCURRENT is ${elsewhere}, not ${current}`);
    expect(stagesOf(secretId)[elsewhere]).toEqual(['AWSCURRENT', 'OPERATOR']);
    expect(stagesOf(secretId)[staged]).toEqual(['AWSPENDING']);
    expect((await infra.records.get('ci-runner')).inFlight).toBeUndefined();
  });

  it('on a record older than AWS, displaces AWSCURRENT as AWS has it: the record’s previous is AWS’s, not the stale one', async () => {
    const key = stateKeys.record(config.redis.prefix, 'ci-runner');
    offsetMs += 1;
    await rotate('ci-runner');
    const older = await infra.redis.get(key);
    offsetMs += 1;
    const newer = await rotate('ci-runner');
    // A failover to a replica that missed the last commit: the record says what it said one run ago.
    await infra.redis.set(key, older ?? '');
    offsetMs += 1;

    const result = await rotate('ci-runner');

    const record = await infra.records.get('ci-runner');
    expect(record.current?.versionId).toBe(result.versionId);
    expect(record.previous?.versionId).toBe(newer.versionId);
    expect(record.previous?.handle).toBe(tokens.rotating.id);
    expect(stagesOf('ci/cloudflare-access')[newer.versionId]).toEqual(['AWSPREVIOUS']);
  });

  it('refuses a second job’s run of the policy as busy while the first job holds its lock: one issue, the first commits', async () => {
    const lockKey = (jobId: string) => `${config.redis.prefix}:rotations:${jobId}:lock`;
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'delay', delayMs: 1_000 },
      times: 1,
    });
    await infra.redis.set(lockKey('job-first'), 'token', 'PX', 60_000);
    offsetMs += 1;
    const firstRunId = manualRunId('ci-runner', clock.now());
    const first = runRotation(wiring.deps, {
      policy: policyNamed(config, 'ci-runner'),
      runId: firstRunId,
      trigger: 'manual',
      signal: new AbortController().signal,
      owner: 'job-first',
    });
    await eventually('the first run to claim the policy', async () =>
      (await infra.records.get('ci-runner')).inFlight?.owner === 'job-first' ? true : undefined,
    );
    offsetMs += 1;

    const second = await rotationFailure(
      runRotation(wiring.deps, {
        policy: policyNamed(config, 'ci-runner'),
        runId: manualRunId('ci-runner', clock.now()),
        trigger: 'manual',
        signal: new AbortController().signal,
        owner: 'job-second',
      }),
    );

    expect(second).toMatchObject({ kind: 'busy', details: { policyId: 'ci-runner' } });
    expect((await first).runId).toBe(firstRunId);
    await infra.redis.del(lockKey('job-first'));
    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);
    expect(await accessAdmits(stored('ci/cloudflare-access'))).toBe(true);
  });
});

describe('after a failover to a replica that missed writes', () => {
  it('a run whose earlier attempt’s promote Redis lost promotes this attempt over its own earlier version (AWS refuses the stale base), and displaces what the run started from', async () => {
    const secretId = 'ci/cloudflare-access';
    offsetMs += 1;
    await rotate('ci-runner');
    const before = await infra.records.get('ci-runner');
    offsetMs += 1;
    const runId = manualRunId('ci-runner', clock.now());
    const lost = await rotate('ci-runner', runId);
    // The promoted replica holds the record as it was when the run had just started.
    await infra.records.update('ci-runner', (record) => {
      const { previous: _previous, ...rest } = record;
      return {
        ...rest,
        ...(before.previous === undefined ? {} : { previous: before.previous }),
        ...(before.current === undefined ? {} : { current: before.current }),
        inFlight: {
          runId,
          trigger: 'manual',
          issueAttempt: 1,
          step: 'issuing',
          startedAt: clock.now(),
          baseVersionId: before.current?.versionId ?? null,
        },
      };
    });

    const resumed = await rotate('ci-runner', runId);

    expect(resumed.runId).toBe(runId);
    expect(resumed.versionId).not.toBe(lost.versionId);
    expect(stagesOf(secretId)[resumed.versionId]).toEqual(['AWSCURRENT']);
    expect(stagesOf(secretId)[lost.versionId]).toEqual(['AWSPREVIOUS']);
    expect(await accessAdmits(stored(secretId))).toBe(true);
    const record = await infra.records.get('ci-runner');
    expect(record.current?.versionId).toBe(resumed.versionId);
    expect(record.previous?.versionId).toBe(before.current?.versionId);
    expect(logged.text()).toContain('AWSCURRENT holds an earlier attempt of this run');
  });
});

describe('waiting for a Redis replica', () => {
  const withReplicas = (answers: Record<string, boolean>) => {
    const asked: string[] = [];
    const deps = {
      ...wiring.deps,
      replicas: {
        acknowledged: async (what: string) => {
          asked.push(what);
          return answers[what] ?? true;
        },
      },
    };
    const run = (runId: string) =>
      runRotation(deps, {
        policy: policyNamed(config, 'ci-runner'),
        runId,
        trigger: 'manual',
        signal: new AbortController().signal,
      });
    return { asked, run };
  };

  it('issues nothing while no replica acknowledged the run’s start', async () => {
    offsetMs += 1;
    const { asked, run } = withReplicas({ issuing: false });

    const error = await rotationFailure(run(manualRunId('ci-runner', clock.now())));

    expect(error).toMatchObject({ kind: 'transient', details: { policyId: 'ci-runner', step: 'issue' } });
    expect(error.message).toContain('no Redis replica acknowledged the start of this run');
    expect(asked).toEqual(['issuing']);
    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(0);
  });

  it('stages nothing while no replica holds the journal entry; once one does, the next attempt stages the journaled credential without issuing again', async () => {
    const secretId = 'ci/cloudflare-access';
    offsetMs += 1;
    const runId = manualRunId('ci-runner', clock.now());
    const versionsBefore = Object.keys(stagesOf(secretId)).length;
    const lagging = withReplicas({ journal: false });

    const error = await rotationFailure(lagging.run(runId));

    expect(error).toMatchObject({ kind: 'transient', details: { policyId: 'ci-runner', step: 'journal' } });
    expect(error.message).toContain('no Redis replica holds the journal entry');
    expect(Object.keys(stagesOf(secretId))).toHaveLength(versionsBefore);
    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);

    const caughtUp = withReplicas({});
    const result = await caughtUp.run(runId);

    expect(caughtUp.asked).toEqual(['journal', 'commit']);
    expect(world.cloudflare.server.calls.handled('rotateServiceToken')).toHaveLength(1);
    expect(stagesOf(secretId)[result.versionId]).toEqual(['AWSCURRENT']);
    expect(await accessAdmits(stored(secretId))).toBe(true);
  });
});

describe('refresh (extend)', () => {
  it('refuses to run without an existing secret, naming the policy and the step', async () => {
    const error = await rotationFailure(rotate('deploy'));

    expect(error.kind).toBe('invalid-config');
    expect(error.message).toMatch(/deploy/);
    expect(error.details).toMatchObject({ policyId: 'deploy', step: 'issue' });
    expect(world.cloudflare.server.calls.handled('refreshServiceToken')).toHaveLength(0);
  });

  it('writes a new version with the same credential and the later expiry', async () => {
    const original = {
      serviceTokenId: tokens.refreshing.id,
      clientId: tokens.refreshing.clientId,
      clientSecret: tokens.refreshing.clientSecret,
      expiresAt: new Date(clock.now() + 720 * HOUR).toISOString(),
    };
    await wiring.deps.sink.ensure(
      { secretId: 'deploy/cloudflare-access', policyId: 'deploy', adopt: false },
      new AbortController().signal,
    );
    world.aws.store.putValue('deploy/cloudflare-access', {
      clientRequestToken: '11111111-2222-4333-8444-555555555555',
      value: { kind: 'string', text: JSON.stringify(original) },
    });
    offsetMs += 24 * HOUR;

    const result = await rotate('deploy');

    const refreshed = stored('deploy/cloudflare-access');
    expect(refreshed.clientSecret).toBe(original.clientSecret);
    expect(Date.parse(refreshed.expiresAt ?? '')).toBeGreaterThan(Date.parse(original.expiresAt));
    expect(stagesOf('deploy/cloudflare-access')[result.versionId]).toEqual(['AWSCURRENT']);
    expect(result.expiresAt).toBe(Date.parse(refreshed.expiresAt ?? ''));
  });
});

describe('classified failures', () => {
  it('stops on a Cloudflare auth failure with the policy, the step and the status', async () => {
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'status', status: 403 },
    });

    const error = await rotationFailure(rotate('broken'));

    expect(error.kind).toBe('auth');
    expect(error.details).toMatchObject({ policyId: 'broken', step: 'issue', status: 403 });
    expect(error.message).toMatch(/broken/);
    expect(error.message).toMatch(/issue/);
    expect(error.message).toMatch(/403/);
  });

  it('fails a malformed provider response as a protocol error and leaves no half-issued state behind', async () => {
    const cloudflare = new Cloudflare({
      apiToken: world.cloudflare.admin.apiToken,
      baseURL: world.cloudflare.client.baseUrl,
      maxRetries: 0,
    });
    // Cloudflare counts the token's client secrets (the SDK's type leaves the field out; the API sends it).
    const secretVersion = async () => {
      const token = await cloudflare.zeroTrust.access.serviceTokens.get(tokens.broken.id, {
        account_id: world.cloudflare.admin.accountId,
      });
      return (token as { client_secret_version?: number }).client_secret_version;
    };
    const before = await secretVersion();
    expect(before).toBeTypeOf('number');
    world.cloudflare.server.faults.add({ route: 'rotateServiceToken', fault: { kind: 'malformed' } });

    const error = await rotationFailure(rotate('broken'));

    expect(error.kind).toBe('protocol');
    expect(error.details).toMatchObject({ policyId: 'broken', step: 'issue' });
    // Cloudflare minted no client secret: the token's secret is the one its owner holds, still admitted.
    expect(await secretVersion()).toBe(before);
    expect(await accessAdmits(tokens.broken)).toBe(true);
    // Nothing was journaled or staged: no credential waits in Redis, AWS holds no version of it.
    expect(await journalOf('broken')).toBeUndefined();
    expect(await awsVersionIds('broken/cloudflare-access')).toEqual([]);
    // The record only says an issue may have been sent, so the next attempt knows to look before issuing.
    const { inFlight } = await infra.records.get('broken');
    expect(inFlight?.step).toBe('issuing');
    expect(inFlight?.versionId).toBeUndefined();
    expect(inFlight?.handle).toBeUndefined();
    expect(inFlight?.fingerprint).toBeUndefined();
  });

  it('reports a rate limit with its Retry-After', async () => {
    world.cloudflare.server.faults.add({
      route: 'rotateServiceToken',
      fault: { kind: 'rate-limit', retryAfterSeconds: 42 },
    });

    const error = await rotationFailure(rotate('broken'));

    expect(error.kind).toBe('rate-limited');
    expect(error.details.retryAfterMs).toBe(42_000);
  });
});
