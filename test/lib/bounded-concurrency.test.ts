import { describe, expect, it } from 'vitest';
import { mapConcurrently } from '../../src/lib/bounded-concurrency.js';

describe('mapConcurrently', () => {
  it('returns results in the order of the items, however the work finishes', async () => {
    const results = await mapConcurrently([30, 10, 20, 0], 2, async (ms, index) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return `${index}:${ms}`;
    });
    expect(results).toEqual(['0:30', '1:10', '2:20', '3:0']);
  });

  it('never has more than the limit in flight', async () => {
    let inFlight = 0;
    let most = 0;
    await mapConcurrently(
      Array.from({ length: 50 }, (_, i) => i),
      4,
      async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
      },
    );
    expect(most).toBe(4);
  });

  it('rejects with the first failure', async () => {
    await expect(
      mapConcurrently([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('two failed');
        return n;
      }),
    ).rejects.toThrow('two failed');
  });

  it('handles no items', async () => {
    expect(await mapConcurrently([], 8, async () => 1)).toEqual([]);
  });
});
