import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisScope } from '../test/support/open-provider-world.js';
import { deletePrefix } from '../test/support/redis-keys.js';

/** A key prefix of its own on the benchmark's Redis (`REDIS_URL`), deleted afterwards. */
export function benchRedis(url: string): RedisScope {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const prefix = `bench-${randomBytes(6).toString('hex')}`;
  return { redis, prefix, url, cleanup: () => deletePrefix(redis, prefix).then(() => redis.disconnect()) };
}

/**
 * Redis's counters since it started, all clients: commands run (inside scripts too, from INFO stats) and
 * reads from client sockets (about one per write a client made, however many commands it pipelined).
 */
export async function redisCounters(redis: Redis): Promise<{ commands: number; reads: number }> {
  const info = await redis.info('stats');
  const counter = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? Number.NaN);
  return { commands: counter('total_commands_processed'), reads: counter('total_reads_processed') };
}

/** Redis's own figure for the memory its data uses, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}
