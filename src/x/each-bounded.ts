// Runs async work over a list with at most `limit` items in flight: volume
// writes and verifications spend most of their time waiting on the disk, so
// a few at once keep it busy without holding every shard's data in memory
// together.

/** Calls `fn` for every item, at most `limit` at a time; rejects with the first failure after all settle. */
export async function eachBounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
}
