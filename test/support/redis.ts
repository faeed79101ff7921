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

/** A leak is this many characters of a form of a secret (or the whole form, when it is shorter). */
const LEAK_RUN = 16;

/**
 * Every hit of every secret, in each of its `leakForms`, in the named texts (daemon output, a Redis dump,
 * webhook bodies…), as `secret #i (form j) in <place>`. A hit is any 16 characters of a form (so a value
 * split into pieces still counts), also across whitespace (a token with a space or a line break inside). The
 * secrets scanned must not be an empty list.
 */
export function leaksIn(
  secrets: readonly string[],
  places: readonly (readonly [string, string])[],
): string[] {
  if (secrets.length === 0) throw new Error('a leak scan needs the secrets to look for');
  const runs = new Map<string, string>();
  const short: [string, string][] = [];
  secrets.forEach((secret, index) => {
    leakForms(secret).forEach((form, formIndex) => {
      const label = `secret #${index} (form ${formIndex})`;
      if (form.length <= LEAK_RUN) short.push([form, label]);
      for (let i = 0; i + LEAK_RUN <= form.length; i++) runs.set(form.slice(i, i + LEAK_RUN), label);
    });
  });
  const leaks = new Set<string>();
  for (const [where, text] of places) {
    for (const scanned of [text, text.replace(/\s+/g, '')]) {
      for (const [form, label] of short) if (scanned.includes(form)) leaks.add(`${label} in ${where}`);
      for (let i = 0; i + LEAK_RUN <= scanned.length; i++) {
        const label = runs.get(scanned.slice(i, i + LEAK_RUN));
        if (label !== undefined) leaks.add(`${label} in ${where}`);
      }
    }
  }
  return [...leaks];
}

/**
 * The forms a leaked value could take: raw, JSON-escaped, URL-encoded, base64 and base64url (also at the two
 * other byte alignments it has inside a longer base64 text, such as an HTTP Basic token), and hex.
 */
export function leakForms(value: string): string[] {
  const bytes = Buffer.from(value);
  const embedded = (shift: number, encoding: 'base64' | 'base64url') => {
    const end = shift + Math.floor((bytes.length - shift) / 3) * 3;
    const form = bytes.subarray(shift, end).toString(encoding);
    // Inside another text only a run of LEAK_RUN characters says anything; a shorter form would be noise.
    return form.length >= LEAK_RUN ? [form] : [];
  };
  return [
    ...new Set([
      value,
      JSON.stringify(value).slice(1, -1),
      encodeURIComponent(value),
      bytes.toString('base64'),
      bytes.toString('base64url'),
      ...embedded(1, 'base64'),
      ...embedded(2, 'base64'),
      ...embedded(1, 'base64url'),
      ...embedded(2, 'base64url'),
      bytes.toString('hex'),
      bytes.toString('hex').toUpperCase(),
    ]),
  ];
}
