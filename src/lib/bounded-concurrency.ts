/**
 * Runs `work` for every item with at most `limit` in flight, and returns the results in the items' order.
 * Over one Redis connection, concurrent commands are pipelined: a fleet of 100,000 policies is handled in
 * seconds instead of one round trip after another. The first failure rejects (items in flight finish).
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
