// Reads the small files of a backup whole, in input order, through the file-system worker
// (fs-batch.ts): batches of up to BATCH_FILES files or BATCH_BYTES bytes, two batches in flight so the
// worker reads the next while the bundle writer packs this one. Yields, in order,
// each item with its content (and its lstat right after the read) or the error that kept it from being read.
import { FsBatchWorker, fsError, type StatResult } from './fs-batch.js';

const BATCH_FILES = 256;
const BATCH_BYTES = 16 * 1024 * 1024;
const IN_FLIGHT = 2;

/** Splits items into batches bounded by count and by the sizes the scan saw. */
export function batchBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxFiles = BATCH_FILES, maxBytes = BATCH_BYTES): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxFiles || bytes + sizeOf(item) > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += sizeOf(item);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export async function* readSmallFiles<T extends { path: string; size: number }>(
  items: readonly T[],
): AsyncGenerator<{ item: T; result: Buffer | Error; after?: StatResult }> {
  if (items.length === 0) return;
  const worker = new FsBatchWorker();
  try {
    const batches = batchBySize(items, (i) => i.size);
    const inFlight: Array<ReturnType<FsBatchWorker['read']>> = [];
    let next = 0;
    const start = () => inFlight.push(worker.read(batches[next++].map((i) => i.path)));
    while (next < batches.length && inFlight.length < IN_FLIGHT) start();
    for (const batch of batches) {
      const results = await inFlight.shift()!;
      if (next < batches.length) start();
      for (let i = 0; i < batch.length; i++) {
        const r = results[i];
        yield r.ok ? { item: batch[i], result: r.data, after: r.after } : { item: batch[i], result: fsError(r) };
      }
    }
  } finally {
    await worker.close();
  }
}
