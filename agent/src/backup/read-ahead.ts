// Ordered read-ahead: runs `load` on up to `depth` items at once and yields the results in input
// order. Small-file backups are bound by per-file latency (open, stat, read, close each cross the
// thread pool), not bandwidth, so keeping several reads in flight is what makes them fast.
export async function* readAhead<T, R>(items: readonly T[], depth: number, load: (item: T) => Promise<R>): AsyncGenerator<{ item: T; result: R | Error }> {
  const inFlight: Array<Promise<R | Error>> = [];
  let next = 0;
  const start = () => {
    const item = items[next++]!;
    inFlight.push(load(item).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
  };
  while (next < items.length && inFlight.length < depth) start();
  for (let i = 0; i < items.length; i++) {
    const result = await inFlight.shift()!;
    if (next < items.length) start();
    yield { item: items[i]!, result };
  }
}
