import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { allKeys, deletePrefix } from './redis-keys.js';

/** A client on the shared test Redis and a key prefix no other test file uses. */
export function testRedis(): { redis: Redis; prefix: string; url: string; cleanup: () => Promise<void> } {
  const url = inject('redisUrl');
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const prefix = `rt-${randomBytes(8).toString('hex')}`;
  return {
    redis,
    prefix,
    url,
    cleanup: async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/** Every key under the prefix with every value it holds, whatever its type, as text. */
export async function dumpKeys(redis: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  for (const key of await allKeys(redis, prefix)) {
    const type = await redis.type(key);
    parts.push(key);
    if (type === 'string') parts.push((await redis.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
    else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES')));
    else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
  }
  return parts.join('\n');
}

/**
 * Every hit of every secret, in each of its `leakForms`, in the named texts (daemon output, a Redis dump,
 * webhook bodies…), as `secret #i (form j) in <place>`. The secrets scanned must not be an empty list.
 */
export function leaksIn(
  secrets: readonly string[],
  places: readonly (readonly [string, string])[],
): string[] {
  if (secrets.length === 0) throw new Error('a leak scan needs the secrets to look for');
  return secrets.flatMap((secret, index) =>
    leakForms(secret).flatMap((form, formIndex) =>
      places
        .filter(([, text]) => text.includes(form))
        .map(([where]) => `secret #${index} (form ${formIndex}) in ${where}`),
    ),
  );
}

/** The forms a leaked value could take in storage: raw, JSON-escaped, base64 and hex. */
export function leakForms(value: string): string[] {
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('hex'),
  ];
}
