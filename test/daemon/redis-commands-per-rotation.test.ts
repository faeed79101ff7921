import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig, RotorConfig } from '../../src/config/rotor-config.js';
import { connectRedis, type RedisInfrastructure } from '../../src/daemon/redis-infrastructure.js';
import { type Daemon, startDaemon } from '../../src/daemon/start-daemon.js';
import { ROTATION_QUEUE } from '../../src/queue/queue-name.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { startCloudflareFixture } from '../providers/cloudflare.fixture.js';
import { eventually } from '../support/eventually.js';
import { memoryLogger } from '../support/memory-log.js';
import { openProviderWorld, type ProviderWorld } from '../support/open-provider-world.js';
import { monitorRedis, type RedisCall } from '../support/redis-monitor.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

/**
 * What one on-demand Cloudflare rotation in a steady stream costs Redis, counted as Redis counts
 * (`INFO commandstats`: a script is its EVALSHA plus every command it runs): BullMQ's job — its add (with the
 * policy's deduplication), its move to finished, which also activates the next job — and rotor's own: one
 * read of the record and the journal slot, and four checkpoint writes (issuing, journaled, staged, commit),
 * each one script carrying what belongs to it. With fewer than 200 completed jobs kept, BullMQ trims none;
 * at 200 each completion also removes the oldest (2 more commands).
 */
const MAX_COMMANDS_PER_ROTATION = 60;

/** rotor's commands, keys named by role; the lines under an EVALSHA are the commands its script ran. */
const ROTOR_COMMANDS = [
  // Where the run starts: the record and the journal slot, one consistent read.
  'MGET record journal',
  // The run's start, refused unless this worker's job lock still holds its token (else it never issues).
  'EVALSHA record journal history',
  '  GET record',
  '  GET lock',
  '  SET record',
  // The issued credential into the empty journal slot, with the checkpoint that names it.
  'EVALSHA record journal history',
  '  GET record',
  '  SET journal',
  '  SET record',
  // Staged at AWS: the checkpoint, and the run's journal entry removed (only the run's).
  'EVALSHA record journal history',
  '  GET record',
  '  GET journal',
  '  DEL journal',
  '  SET record',
  // The commit, with the run's history entry (capped).
  'EVALSHA record journal history',
  '  GET record',
  '  SET record',
  '  LPUSH history',
  '  LTRIM history',
];

const POLICIES = 5;

let server: RedisServer;
let world: ProviderWorld;
let config: RotorConfig;
let infra: RedisInfrastructure;
let daemon: Daemon | undefined;
let watcher: Queue;
/** The test's own connection for watching the jobs: its commands are not the rotations'. */
let watching: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  world = await openProviderWorld(
    { redis, prefix: 'counted', url: server.url, cleanup: async () => redis.disconnect() },
    [startCloudflareFixture],
  );
  const policies = await Promise.all(
    Array.from({ length: POLICIES }, (_, i) => world.policy(`counted-${i}`)),
  );
  config = await world.config(policies, {
    connectionRateLimit: 'false',
    sinkRateLimit: 'false',
    // One job at a time: each job's completion activates the next, as in a steady stream.
    worker: 'concurrency: 1',
  });
  infra = connectRedis(config);
  watching = new Redis(server.url, { maxRetriesPerRequest: null });
  watcher = new Queue(ROTATION_QUEUE, { connection: watching, prefix: config.redis.prefix });
  daemon = await startDaemon(config, { log: memoryLogger('warn').log });
});

afterAll(async () => {
  await daemon?.stop();
  await watcher?.close();
  watching?.disconnect();
  await infra?.close();
  await world?.close();
  await server?.close();
});

/** Requests an on-demand rotation of every policy at once, as `rotor rotate` does, and waits for them. */
async function rotateAll(): Promise<string[]> {
  const nowMs = Date.now();
  const jobIds = await Promise.all(
    config.policies.map(
      async (policy: PolicyConfig) => (await requestRotation(infra.queue, policy, 'manual', { nowMs })).jobId,
    ),
  );
  await eventually('the rotations to complete', async () => {
    const states = await Promise.all(jobIds.map((id) => watcher.getJobState(id)));
    if (states.includes('failed')) throw new Error(`a rotation failed: ${states.join(', ')}`);
    return states.every((state) => state === 'completed') ? true : undefined;
  });
  return jobIds;
}

describe('Redis work per rotation', () => {
  it(`one rotation costs at most ${MAX_COMMANDS_PER_ROTATION} Redis commands: BullMQ's job, one read and four checkpoint writes that carry the lock check, the journal slot and the run history`, async () => {
    // The first rotation creates each policy's secret; the second is steady.
    await rotateAll();
    const prefix = config.redis.prefix;
    const queueKey = `${prefix}:${ROTATION_QUEUE}`;
    const monitor = await monitorRedis(server.url);
    const jobIds = await rotateAll();
    const finishOf = (call: RedisCall) =>
      jobIds.find((id) =>
        call.commands.some(
          ([name, key, , jobId]) => name === 'lrem' && key === `${queueKey}:active` && jobId === id,
        ),
      );
    await eventually('every completion to reach the monitor', () =>
      jobIds.every((id) => monitor.calls().some((call) => finishOf(call) === id)) ? true : undefined,
    );
    monitor.stop();

    const watchingFrom = `127.0.0.1:${watching.stream.localPort}`;
    const calls = monitor.calls().filter((call) => call.source !== watchingFrom);
    const policyIds = config.policies.map((policy) => policy.id);
    const roleOf = (arg: string): string | undefined => {
      for (const policyId of policyIds) {
        if (arg === `${prefix}:policy:${policyId}`) return 'record';
        if (arg === `${prefix}:journal:${policyId}`) return 'journal';
        if (arg === `${prefix}:history:${policyId}`) return 'history';
      }
      return jobIds.some((id) => arg === `${queueKey}:${id}:lock`) ? 'lock' : undefined;
    };
    const rendered = (call: RedisCall): string[] =>
      call.commands.map((args, i) =>
        [
          (i === 0 ? '' : '  ') + (args[0] ?? '').toUpperCase(),
          ...args.slice(1).flatMap((arg) => roleOf(arg) ?? []),
        ].join(' '),
      );
    const rotorPolicyOf = (call: RedisCall) => {
      const [name, ...args] = call.commands[0] ?? [];
      const key = name === 'mget' ? args[0] : name === 'evalsha' ? args[2] : undefined;
      return policyIds.find((id) => key === `${prefix}:policy:${id}`);
    };
    const addOf = (call: RedisCall) =>
      jobIds.find((id) =>
        call.commands.some(
          ([name, key, field, value]) =>
            name === 'hmset' && key === `${queueKey}:${id}` && field === 'name' && value === 'rotate',
        ),
      );
    const isActivation = (call: RedisCall) =>
      call.commands.some(
        ([name, from, to]) =>
          name === 'rpoplpush' && from === `${queueKey}:wait` && to === `${queueKey}:active`,
      );
    // What else an idle worker and the daemon's timers may send meanwhile, none of it per rotation.
    const isBackground = (call: RedisCall) => {
      const [name, key] = call.commands[0] ?? [];
      return (
        name === 'bzpopmin' ||
        name === 'info' ||
        (name === 'get' && key === `${prefix}:generation`) ||
        call.commands.some(
          ([, anyKey]) => anyKey === `${queueKey}:stalled-check` || anyKey === `${queueKey}:stalled`,
        )
      );
    };
    const unexpected = calls
      .filter(
        (call) =>
          !rotorPolicyOf(call) &&
          !addOf(call) &&
          !finishOf(call) &&
          !isActivation(call) &&
          !isBackground(call),
      )
      .map((call) => rendered(call).join('\n'));
    expect(unexpected).toEqual([]);

    // A rotation in the middle of the stream: its job was activated by the previous one's completion, and its
    // completion activates the next.
    const finishes = calls.filter((call) => finishOf(call) !== undefined);
    const middle = finishOf(finishes[Math.floor(finishes.length / 2)] as RedisCall) as string;
    const policyId = policyIds[jobIds.indexOf(middle)] as string;
    const rotor = calls.filter((call) => rotorPolicyOf(call) === policyId).flatMap(rendered);
    const bullmq = calls.filter((call) => addOf(call) === middle || finishOf(call) === middle);
    const bullmqCommands = bullmq.flatMap((call) => call.commands).length;
    expect(rotor).toEqual(ROTOR_COMMANDS);
    expect(bullmq).toHaveLength(2);
    expect(
      rotor.length + bullmqCommands,
      `rotor ${rotor.length}, BullMQ ${bullmqCommands}:\n${bullmq.flatMap(rendered).join('\n')}`,
    ).toBeLessThanOrEqual(MAX_COMMANDS_PER_ROTATION);
  });
});
