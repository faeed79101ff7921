import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type RotationWiring, wireRotations } from '../../src/daemon/rotation-deps.js';
import { rebuildFromAws, startupRuns } from '../../src/daemon/startup-runs.js';
import { manualRunId } from '../../src/domain/ids.js';
import { rebuildRecord } from '../../src/engine/rebuild-record.js';
import { runRotation } from '../../src/engine/run-rotation.js';
import { stateKeys } from '../../src/state/redis-keys.js';
import { type EmulatedWorld, policyNamed, startEmulatedWorld } from '../support/emulated-world.js';
import { memoryLogger } from '../support/memory-log.js';

const DAY_MS = 86_400_000;
let offsetMs = 0;
const clock = { now: () => Date.now() + offsetMs };
let world: EmulatedWorld;
let config: RotorConfig;
let infra: RedisInfrastructure;
let wiring: RotationWiring;
const signal = new AbortController().signal;

beforeAll(async () => {
  world = await startEmulatedWorld({ clock });
  const rotated = world.cloudflare.seedToken({ name: 'rebuilt', duration: '8760h' });
  const fresh = world.cloudflare.seedToken({ name: 'fresh', duration: '8760h' });
  const overdue = world.cloudflare.seedToken({ name: 'overdue', duration: '8760h' });
  const recent = world.cloudflare.seedToken({ name: 'recent', duration: '8760h' });
  config = await world.config(`
    - id: rebuilt
      connection: cf
      action: rotate
      target: { serviceTokenId: ${rotated.id} }
      schedule: { every: 1d }
      secret: { id: rebuilt/cloudflare-access }
    - id: fresh
      connection: cf
      action: rotate
      target: { serviceTokenId: ${fresh.id} }
      schedule: { every: 1d }
      secret: { id: fresh/cloudflare-access }
    - id: overdue
      connection: cf
      action: rotate
      target: { serviceTokenId: ${overdue.id} }
      schedule: { every: 1d }
      secret: { id: overdue/cloudflare-access }
    - id: recent
      connection: cf
      action: rotate
      target: { serviceTokenId: ${recent.id} }
      schedule: { every: 1d }
      secret: { id: recent/cloudflare-access }
  `);
  infra = connectRedis(config);
  wiring = wireRotations(config, infra, { log: memoryLogger().log, clock });
});

afterAll(async () => {
  wiring?.close();
  await infra?.close();
  await world?.close();
});

const rotate = (policyId: string, atMs: number) =>
  runRotation(wiring.deps, {
    policy: policyNamed(config, policyId),
    runId: manualRunId(policyId, atMs),
    trigger: 'manual',
    signal,
  });

describe('rebuilding a record Redis lost, from AWS', () => {
  it('gives back current and previous as the lost record had them: run ids, handles, versions, fingerprints, expiry', async () => {
    const deps = { ...wiring.deps, log: memoryLogger().log };
    await rotate('rebuilt', Date.now() - 2);
    await rotate('rebuilt', Date.now() - 1);
    const lost = await infra.records.get('rebuilt');
    await infra.redis.del(stateKeys.record(config.redis.prefix, 'rebuilt'));

    const { record, rebuilt } = await rebuildRecord(deps, policyNamed(config, 'rebuilt'), signal);

    expect(rebuilt).toBe(true);
    expect(record.current).toEqual(lost.current);
    expect(record.previous).toEqual(lost.previous);
    expect(record.rebuiltAt).toBeGreaterThan(0);
    expect(record.lastSuccessAt).toBeLessThanOrEqual(lost.lastSuccessAt ?? 0);
    expect(await infra.records.get('rebuilt')).toEqual(record);
  });

  it('leaves a record Redis has as it is, and writes none for a policy whose secret does not exist', async () => {
    const deps = { ...wiring.deps, log: memoryLogger().log };
    const held = await infra.records.get('rebuilt');

    expect(await rebuildRecord(deps, policyNamed(config, 'rebuilt'), signal)).toEqual({
      record: held,
      rebuilt: false,
    });
    expect(await rebuildRecord(deps, policyNamed(config, 'fresh'), signal)).toMatchObject({
      record: { revision: 0 },
      rebuilt: false,
    });
    expect(await infra.redis.exists(stateKeys.record(config.redis.prefix, 'fresh'))).toBe(0);
  });

  it('ties each AWS version to its run by a member the consumers’ fields are left beside', async () => {
    const current = JSON.parse(world.aws.store.valueOf('rebuilt/cloudflare-access') ?? '{}') as Record<
      string,
      unknown
    >;
    const record = await infra.records.get('rebuilt');

    expect(current.rotor).toEqual({ runId: record.current?.runId });
    expect(Object.keys(current).sort()).toEqual(
      ['clientId', 'clientSecret', 'expiresAt', 'rotor', 'serviceTokenId'].sort(),
    );
  });
});

describe('the rebuild pass after a loss', () => {
  it('rotates once a policy that fell due while its record was missing, however many periods it missed, and leaves one not yet due', async () => {
    await rotate('overdue', clock.now());
    await rotate('recent', clock.now());
    // The overdue policy's AWSCURRENT was written three days ago (its schedule is daily): written again
    // in the emulator's store, with the emulator's clock set back.
    const secretId = 'overdue/cloudflare-access';
    offsetMs = -3 * DAY_MS;
    world.aws.store.putValue(secretId, {
      clientRequestToken: randomUUID(),
      value: { kind: 'string', text: world.aws.store.valueOf(secretId) ?? '' },
      versionStages: ['AWSCURRENT'],
    });
    offsetMs = 0;
    for (const id of ['overdue', 'recent']) await infra.redis.del(stateKeys.record(config.redis.prefix, id));
    const policies = ['overdue', 'recent'].map((id) => policyNamed(config, id));
    const deps = { ...wiring.deps, log: memoryLogger().log };

    const unrecorded = await startupRuns(policies, deps);
    const outcome = await rebuildFromAws(unrecorded, deps, signal);

    expect(unrecorded.map(({ policy }) => policy.id).sort()).toEqual(['overdue', 'recent']);
    expect(outcome).toEqual({ rebuilt: 2, caughtUp: 1 });
    const queued = (await infra.queue.getJobs(['waiting', 'prioritized', 'delayed'])).filter(
      (job) => job.name === 'rotate',
    );
    expect(queued.map((job) => job.data as { policyId: string; trigger: string })).toEqual([
      expect.objectContaining({ policyId: 'overdue', trigger: 'schedule' }),
    ]);
  });
});

describe('a record older than AWS (a failover to a replica that missed writes)', () => {
  it('is rebuilt from AWS by the pass that checks recorded policies, naming AWSCURRENT as AWS has it; without that check it is left alone', async () => {
    const deps = { ...wiring.deps, log: memoryLogger().log };
    const key = stateKeys.record(config.redis.prefix, 'fresh');
    await rotate('fresh', Date.now() - 2);
    const older = await infra.records.get('fresh');
    const snapshot = await infra.redis.dumpBuffer(key);
    await rotate('fresh', Date.now() - 1);
    const newer = await infra.records.get('fresh');
    // The replica promoted had the record as it was before the last run.
    await infra.redis.restore(key, 0, snapshot, 'REPLACE');
    const policies = [policyNamed(config, 'fresh')];

    expect(await startupRuns(policies, deps)).toEqual([]);
    const candidates = await startupRuns(policies, deps, { checkRecorded: true });
    const outcome = await rebuildFromAws(candidates, deps, signal);

    expect(candidates.map(({ policy, olderThan }) => [policy.id, olderThan])).toEqual([
      ['fresh', older.current?.versionId],
    ]);
    expect(outcome.rebuilt).toBe(1);
    const rebuilt = await infra.records.get('fresh');
    expect(rebuilt.current).toEqual(newer.current);
    expect(rebuilt.previous).toEqual(newer.previous);
    expect(await startupRuns(policies, deps, { checkRecorded: true })).toEqual([]);
  });
});
