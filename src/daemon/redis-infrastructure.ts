import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig, RotorConfig } from '../config/rotor-config.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { firingRepeatStrategy } from '../queue/jittered-firing.js';
import { ROTATION_QUEUE } from '../queue/queue-name.js';
import { Journal } from '../state/journal.js';
import { RedisConsumerStates } from '../state/redis-consumer-states.js';
import { RedisStateStore } from '../state/redis-state-store.js';
import { RunHistory } from '../state/run-history.js';
import { redisLocation } from './redis-location.js';
import { RedisReachability } from './redis-reachability.js';

/** Connections to Redis and the queue, shared by the daemon and the one-shot CLI commands. */
export interface RedisInfrastructure {
  /** rotor's own keys (records, journal, history, rate limits): auto-pipelined, no BullMQ scripts on it. */
  readonly redis: Redis;
  /** The connection rotor's BullMQ queues share (BullMQ defines its scripts on it). */
  readonly queueConnection: Redis;
  readonly prefix: string;
  readonly queue: Queue;
  readonly records: RedisStateStore;
  readonly history: RunHistory;
  /** The policies' consumers: confirmations, reload outcomes and holds. */
  readonly consumers: RedisConsumerStates;
  /** Says, once in a while, that Redis is unreachable; every connection made here reports to it. */
  readonly reachability: RedisReachability;
  /**
   * A new connection for a BullMQ Worker or QueueEvents, which block on Redis. BullMQ leaves a connection it
   * was handed open when it closes: `close()` disconnects it with the rest.
   */
  blockingConnection(): Redis;
  /** A new connection of rotor's own (e.g. the runs' writes), disconnected by `close()` too. */
  connection(extra?: RedisOptions): Redis;
  /**
   * The records (with the journal slots and run history their writes carry) as seen through another connection
   * (the runs' own, which may block on WAIT).
   */
  recordsOn(connection: Redis): RedisStateStore;
  close(): Promise<void>;
}

/**
 * A new connection to rotor's Redis: the URL's server, or the master of the Sentinel group (ioredis asks the
 * sentinels, and asks again after a failover). Every connection rotor and BullMQ open is made here.
 */
export function openRedis(redis: RedisConfig, extra: RedisOptions = {}): Redis {
  const options: RedisOptions = {
    // BullMQ's blocking commands need unlimited retries; the daemon rides out Redis restarts.
    maxRetriesPerRequest: null,
    // CLIENT LIST shows which connections are rotor's, and for which prefix (BullMQ renames its own).
    connectionName: `rotor:${redis.prefix}`,
    ...(redis.password === undefined ? {} : { password: redis.password.reveal() }),
    ...extra,
  };
  if (redis.sentinel === undefined) return new Redis(redis.url, options);
  const { sentinels, name, sentinelPassword, tls } = redis.sentinel;
  return new Redis({
    ...options,
    sentinels: sentinels.map(({ host, port }) => ({ host, port })),
    name,
    ...(sentinelPassword === undefined ? {} : { sentinelPassword: sentinelPassword.reveal() }),
    ...(tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
  });
}

/**
 * `reachability`: the daemon's, which logs; a one-shot command's default writes its warnings to stderr, so
 * its output stays what it prints.
 */
export function connectRedis(
  config: RotorConfig,
  options: { readonly reachability?: RedisReachability } = {},
): RedisInfrastructure {
  const reachability =
    options.reachability ??
    new RedisReachability(
      redisLocation(config.redis),
      createLogger({ level: 'warn', destination: process.stderr }),
      systemClock,
    );
  // Every connection made here, so that close() leaves none open (a reload must not leak the old daemon's).
  const made = new Set<Redis>();
  const tracked = (opened: Redis): Redis => {
    made.add(reachability.watch(opened));
    opened.once('end', () => made.delete(opened));
    return opened;
  };
  const connection = (extra?: RedisOptions) => tracked(openRedis(config.redis, extra));
  // Commands issued in the same tick (concurrent rotations, a run's independent reads) go in one socket
  // write, which costs more than the commands it carries. Not for BullMQ's connection: ioredis copies every
  // script defined on a connection into each pipeline it makes there, and BullMQ defines dozens.
  const redis = connection({ enableAutoPipelining: true });
  const queueConnection = connection();
  const queue = new Queue(ROTATION_QUEUE, {
    connection: queueConnection,
    prefix: config.redis.prefix,
    settings: { repeatStrategy: firingRepeatStrategy },
  });
  // BullMQ re-emits its connection's errors on the queue (and prints them when nobody listens).
  queue.on('error', (error) => reachability.failed(error));
  const recordsOn = (connection: Redis) =>
    new RedisStateStore(connection, config.redis.prefix, {
      // BullMQ's job lock key: a run's owner (a job id) holds the policy while this key exists.
      ownerLock: { before: `${config.redis.prefix}:${ROTATION_QUEUE}:`, after: ':lock' },
      journal: new Journal(connection, {
        prefix: config.redis.prefix,
        keys: config.journal.keys,
        activeKeyId: config.journal.activeKeyId,
      }),
    });
  return {
    redis,
    queueConnection,
    prefix: config.redis.prefix,
    queue,
    records: recordsOn(redis),
    history: new RunHistory(redis, config.redis.prefix),
    consumers: new RedisConsumerStates(redis, config.redis.prefix),
    reachability,
    blockingConnection: () => tracked(queueConnection.duplicate()),
    connection,
    recordsOn,
    close: async () => {
      await queue.close();
      for (const opened of made) opened.disconnect();
    },
  };
}
