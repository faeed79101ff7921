import { afterAll, describe, expect, it } from 'vitest';
import { RotationError } from '../../src/domain/errors.js';
import { RedisRateLimiter, windowWithMargin } from '../../src/rate-limit/redis-rate-limiter.js';
import { testRedis } from '../support/redis.js';
import { rotationFailure } from '../support/rotation-failure.js';

const shared = testRedis();
afterAll(() => shared.cleanup());

const call = { system: 'cloudflare', operation: 'rotate service token' };

describe('RedisRateLimiter', () => {
  it('lets no more than the limit into any window, across replicas sharing one key', async () => {
    const limit = { requests: 5, perMs: 150 };
    const replicas = [0, 1, 2].map(() => new RedisRateLimiter(shared.redis, { prefix: shared.prefix }));
    const gates = replicas.map((limiter) => limiter.gate('connection:shared', limit));
    const granted = await Promise.all(
      Array.from({ length: 21 }, (_, i) => gates[i % gates.length]?.pass(call) ?? Promise.reject()),
    );
    const times = granted.sort((a, b) => a - b);
    const window = windowWithMargin(limit);
    for (let i = 0; i + limit.requests < times.length; i++) {
      expect((times[i + limit.requests] ?? 0) - (times[i] ?? 0)).toBeGreaterThanOrEqual(window);
    }
  });

  it('reports each call it lets through with its limit and the time it slept for its turn', async () => {
    const passed: { key: string; waitedMs: number }[] = [];
    const limiter = new RedisRateLimiter(shared.redis, {
      prefix: shared.prefix,
      onPass: (key, waitedMs) => passed.push({ key, waitedMs }),
    });
    const gate = limiter.gate('connection:observed', { requests: 1, perMs: 100 });
    await gate.pass(call);
    await gate.pass(call);

    expect(passed.map(({ key }) => key)).toEqual(['connection:observed', 'connection:observed']);
    expect(passed[0]?.waitedMs).toBe(0);
    // The second call found the window full, so it slept until the first grant left it.
    expect(passed[1]?.waitedMs).toBeGreaterThan(0);
  });

  it('keeps separate budgets for separate keys', async () => {
    const limiter = new RedisRateLimiter(shared.redis, { prefix: shared.prefix, maxWaitMs: 0 });
    const limit = { requests: 1, perMs: 60_000 };
    await limiter.gate('connection:a', limit).pass(call);
    await expect(limiter.gate('connection:b', limit).pass(call)).resolves.toBeTypeOf('number');
  });

  it('turns a wait longer than its maximum into a rate-limited failure carrying the wait', async () => {
    const limiter = new RedisRateLimiter(shared.redis, { prefix: shared.prefix, maxWaitMs: 100 });
    const gate = limiter.gate('connection:slow', { requests: 1, perMs: 60_000 });
    await gate.pass(call);
    const error = await rotationFailure(gate.pass(call));
    expect(error.kind).toBe('rate-limited');
    expect(error.details).toMatchObject({ system: 'cloudflare', operation: 'rotate service token' });
    expect(error.details.retryAfterMs).toBeGreaterThan(50_000);
    expect(error.message).toContain("rotor's rate limit connection:slow is reached");
  });

  it('stops waiting when the call is cancelled', async () => {
    const limiter = new RedisRateLimiter(shared.redis, { prefix: shared.prefix, maxWaitMs: 120_000 });
    const gate = limiter.gate('connection:cancelled', { requests: 1, perMs: 60_000 });
    await gate.pass(call);
    const cancelled = new AbortController();
    const waiting = gate.pass({ ...call, signal: cancelled.signal });
    cancelled.abort();
    const error = await rotationFailure(waiting);
    expect(error).toBeInstanceOf(RotationError);
    expect(error.kind).toBe('transient');
  });
});
