// Streams one source file to the tape, hashing the bytes as they pass (once, on the way), so the
// hash describes exactly what was written. Reading, hashing and writing overlap: the next chunk is
// read while the current one is hashed and the previous ones are still being written, through a
// small ring of reused buffers (no allocation per chunk), so a drive can be fed at disk speed.
import { createHash } from 'node:crypto';
import { openSourceFile } from './source-file.js';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';

const CHUNK = 4 * 1024 * 1024;
const RING = 4;

export interface CopyResult {
  sha256: Buffer;
  bytes: number;
}

function writeChunk(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

/** `openOut` is called only once the source is open: a file that cannot be read leaves nothing on tape. */
export async function hashingCopy(source: string, openOut: () => Promise<Writable>, onBytes: (n: number) => void, signal?: AbortSignal): Promise<CopyResult> {
  const hash = createHash('sha256');
  const file = await openSourceFile(source);
  let out: Writable;
  try {
    out = await openOut();
  } catch (err) {
    await file.close();
    throw err;
  }
  const ring = Array.from({ length: RING }, () => Buffer.allocUnsafe(CHUNK));
  // A buffer is reused only once the write that holds it has completed.
  const writes: Array<Promise<void>> = ring.map(() => Promise.resolve());
  // Surface a stream error at once, even while no write is pending.
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => {});
  let bytes = 0;
  let slot = 0;
  try {
    let reading = file.read(ring[0], 0, CHUNK, null);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await reading;
      if (bytesRead === 0) break;
      const current = slot;
      slot = (slot + 1) % RING;
      await Promise.race([writes[slot], failed]);
      reading = file.read(ring[slot], 0, CHUNK, null);
      const chunk = ring[current].subarray(0, bytesRead);
      hash.update(chunk);
      bytes += bytesRead;
      onBytes(bytesRead);
      writes[current] = writeChunk(out, chunk);
      writes[current].catch(() => {});
    }
    await Promise.race([Promise.all(writes), failed]);
    out.end();
    await finished(out);
  } catch (err) {
    out.destroy(err as Error);
    await finished(out).catch(() => {});
    throw err;
  } finally {
    await file.close();
  }
  return { sha256: hash.digest(), bytes };
}
