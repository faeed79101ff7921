import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { RotorConfig } from '../config/rotor-config.js';
import { firingRepeatStrategy } from '../queue/jittered-firing.js';
import { ROTATION_QUEUE } from '../queue/queue-name.js';
import { RedisStateStore } from '../state/redis-state-store.js';
import { RunHistory } from '../state/run-history.js';

/** Connections to Redis and the queue, shared by the daemon and the one-shot CLI commands. */
export interface RedisInfrastructure {
  readonly redis: Redis;
  readonly prefix: string;
  readonly queue: Queue;
  readonly records: RedisStateStore;
  readonly history: RunHistory;
  close(): Promise<void>;
}

export function connectRedis(config: RotorConfig): RedisInfrastructure {
  const redis = new Redis(config.redis.url, {
    // BullMQ's blocking commands need unlimited retries; the daemon rides out Redis restarts.
    maxRetriesPerRequest: null,
    ...(config.redis.password === undefined ? {} : { password: config.redis.password.reveal() }),
  });
  const queue = new Queue(ROTATION_QUEUE, {
    connection: redis,
    prefix: config.redis.prefix,
    settings: { repeatStrategy: firingRepeatStrategy },
  });
  return {
    redis,
    prefix: config.redis.prefix,
    queue,
    records: new RedisStateStore(redis, config.redis.prefix),
    history: new RunHistory(redis, config.redis.prefix),
    close: async () => {
      await queue.close();
      redis.disconnect();
    },
  };
}
