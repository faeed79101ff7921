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

/** Commands Redis has run since it started (all clients; inside scripts too), from INFO commandstats. */
export async function commandsRun(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/:calls=(\d+)/g)) total += Number(match[1]);
  return total;
}

/** Redis's own figure for the memory its data uses, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}
