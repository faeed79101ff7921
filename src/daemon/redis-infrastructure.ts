import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { RotorConfig } from '../config/rotor-config.js';
import { firingRepeatStrategy } from '../queue/jittered-firing.js';
import { ROTATION_QUEUE } from '../queue/queue-name.js';
import { RedisStateStore } from '../state/redis-state-store.js';
import { RunHistory } from '../state/run-history.js';

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
  /** A new connection for a BullMQ Worker or QueueEvents, which block on Redis. The caller closes it. */
  blockingConnection(): Redis;
  close(): Promise<void>;
}

export function connectRedis(config: RotorConfig): RedisInfrastructure {
  const options: RedisOptions = {
    // BullMQ's blocking commands need unlimited retries; the daemon rides out Redis restarts.
    maxRetriesPerRequest: null,
    ...(config.redis.password === undefined ? {} : { password: config.redis.password.reveal() }),
  };
  // Commands issued in the same tick (concurrent rotations, a run's independent reads) go in one socket
  // write, which costs more than the commands it carries. Not for BullMQ's connection: ioredis copies every
  // script defined on a connection into each pipeline it makes there, and BullMQ defines dozens.
  const redis = new Redis(config.redis.url, { ...options, enableAutoPipelining: true });
  const queueConnection = new Redis(config.redis.url, options);
  const queue = new Queue(ROTATION_QUEUE, {
    connection: queueConnection,
    prefix: config.redis.prefix,
    settings: { repeatStrategy: firingRepeatStrategy },
  });
  return {
    redis,
    queueConnection,
    prefix: config.redis.prefix,
    queue,
    records: new RedisStateStore(redis, config.redis.prefix, {
      // BullMQ's job lock key: a run's owner (a job id) holds the policy while this key exists.
      before: `${config.redis.prefix}:${ROTATION_QUEUE}:`,
      after: ':lock',
    }),
    history: new RunHistory(redis, config.redis.prefix),
    blockingConnection: () => queueConnection.duplicate(),
    close: async () => {
      await queue.close();
      queueConnection.disconnect();
      redis.disconnect();
    },
  };
}
