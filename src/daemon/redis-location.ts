import type { RedisConfig } from '../config/rotor-config.js';

/**
 * Which Redis and prefix, for logs and alerts: host, port and database from the URL, or the Sentinel group
 * and its sentinels — never a password.
 */
export function redisLocation(redis: RedisConfig): string {
  if (redis.sentinel !== undefined) {
    const sentinels = redis.sentinel.sentinels.map(({ host, port }) => `${host}:${port}`).join(',');
    return `sentinel group ${redis.sentinel.name} via ${sentinels} prefix ${redis.prefix}`;
  }
  try {
    const parsed = new URL(redis.url);
    const database = parsed.pathname.replace(/^\//, '') || '0';
    return `${parsed.protocol}//${parsed.host}/${database} prefix ${redis.prefix}`;
  } catch {
    return `prefix ${redis.prefix}`;
  }
}
