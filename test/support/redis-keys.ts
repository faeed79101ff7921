import type { Redis } from 'ioredis';

/** Batches of the keys under a prefix, by SCAN (never KEYS, which blocks a shared Redis). */
function keyBatches(redis: Redis, prefix: string): AsyncIterable<string[]> {
  return redis.scanStream({ match: `${prefix}*`, count: 1000 });
}

export async function allKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of keyBatches(redis, prefix)) keys.push(...batch);
  return keys;
}

/** Unlinks every key under a prefix, a SCAN batch at a time. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const batch of keyBatches(redis, prefix)) {
    if (batch.length > 0) await redis.unlink(...batch);
  }
}
