import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LuaScript } from '../../src/lib/lua-script.js';
import { testRedis } from '../support/redis.js';

const { redis, prefix, cleanup } = testRedis();
afterAll(cleanup);

describe('Lua scripts', () => {
  it('sends the source once, when Redis does not know the script, and only its SHA1 afterwards', async () => {
    // A source Redis has never seen: a comment makes it unique to this run.
    const script = new LuaScript(`-- ${randomUUID()}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`);
    const evalsha = vi.spyOn(redis, 'evalsha');
    const evalSource = vi.spyOn(redis, 'eval');

    const key = `${prefix}:counter`;
    expect(await script.run(redis, [key], ['2'])).toBe(2);
    expect(await script.run(redis, [key], ['3'])).toBe(5);
    expect(await script.run(redis, [key], ['4'])).toBe(9);

    expect(evalSource).toHaveBeenCalledTimes(1);
    expect(evalsha).toHaveBeenCalledTimes(3);
    vi.restoreAllMocks();
  });

  it('passes on errors other than an unknown script', async () => {
    const script = new LuaScript(`return redis.error_reply('ROTOR refused')`);
    await expect(script.run(redis, [`${prefix}:x`], [])).rejects.toThrow('ROTOR refused');
  });
});
