import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RotationError } from '../domain/errors.js';
import { LuaScript } from '../lib/lua-script.js';
import type { RateLimit } from './rate-limit.js';
import type { GatedCall, RateLimiter, RequestGate } from './request-gate.js';

/**
 * A sliding log per key: the sorted set holds the grant times of the last window. Redis's own clock
 * decides, so replicas with skewed clocks still share one budget. Answers {0, now} when the call may go
 * now, otherwise {milliseconds until the oldest grant leaves the window, now}.
 */
const SLIDING_LOG = new LuaScript(`
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {0, now}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {math.max(1, tonumber(oldest[2]) + window - now), now}
`);

export interface RedisRateLimiterOptions {
  /** Key prefix shared by every replica (the config's `redis.prefix`). */
  readonly prefix: string;
  /**
   * Longest a call waits at a gate inside a job. A longer wait raises `rate-limited` with the wait as
   * Retry-After, so the job is delayed (no attempt spent) and its worker slot goes to another job.
   */
  readonly maxWaitMs?: number;
  /** Told of every call let through: the limit's key and how long the call slept for its turn (0: none). */
  readonly onPass?: (key: string, waitedMs: number) => void;
}

/**
 * The window is stretched a little (2 %, at most 1 s) so that calls granted at the edge of a window and
 * delivered with different network delays still land inside the vendor's quota.
 */
export function windowWithMargin(limit: RateLimit): number {
  return limit.perMs + Math.min(Math.ceil(limit.perMs * 0.02), 1_000);
}

/** Client-side rate limits that hold across every replica sharing one Redis. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #maxWaitMs: number;
  readonly #onPass: ((key: string, waitedMs: number) => void) | undefined;
  readonly #instance = randomBytes(6).toString('hex');
  #sequence = 0;

  constructor(redis: Redis, options: RedisRateLimiterOptions) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#maxWaitMs = options.maxWaitMs ?? 5_000;
    this.#onPass = options.onPass;
  }

  gate(key: string, limit: RateLimit): RequestGate {
    const redisKey = `${this.#prefix}:rate-limit:${key}`;
    const windowMs = windowWithMargin(limit);
    return {
      pass: async (call) => {
        let waited = 0;
        for (;;) {
          const [waitMs, nowMs] = await this.#tryTake(redisKey, limit.requests, windowMs, call);
          if (waitMs === 0) {
            this.#onPass?.(key, waited);
            return nowMs;
          }
          if (waited + waitMs > this.#maxWaitMs) throw limitReached(key, call, waitMs);
          try {
            await sleep(waitMs, undefined, call.signal === undefined ? {} : { signal: call.signal });
          } catch {
            throw new RotationError(
              'transient',
              `${call.system} ${call.operation}: cancelled while waiting for rotor's rate limit`,
              { system: call.system, operation: call.operation },
            );
          }
          waited += waitMs;
        }
      },
    };
  }

  /** [ms to wait (0: granted), Redis's now in epoch ms]. */
  async #tryTake(
    key: string,
    requests: number,
    windowMs: number,
    call: GatedCall,
  ): Promise<[number, number]> {
    this.#sequence += 1;
    const args = [String(requests), String(windowMs), `${this.#instance}:${this.#sequence}`];
    try {
      const answer = await SLIDING_LOG.run(this.#redis, [key], args);
      const [waitMs, nowMs] = answer as [number, number];
      return [Number(waitMs), Number(nowMs)];
    } catch {
      throw new RotationError(
        'transient',
        `${call.system} ${call.operation}: Redis did not answer rotor's rate limiter`,
        { system: call.system, operation: call.operation },
      );
    }
  }
}

function limitReached(key: string, call: GatedCall, waitMs: number): RotationError {
  // Spread the jobs that hit the limit together, so they do not all come back in the same millisecond.
  const retryAfterMs = waitMs + Math.floor(Math.random() * Math.max(waitMs / 10, 100));
  return new RotationError(
    'rate-limited',
    `${call.system} ${call.operation}: rotor's rate limit ${key} is reached; the rotation waits ${Math.ceil(retryAfterMs / 1000)} s for its turn`,
    { system: call.system, operation: call.operation, retryAfterMs },
  );
}
