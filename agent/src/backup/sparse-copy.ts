// Streams a sparse file's data extents to tape, one after another (the holes are not written),
// hashing two things on the way: the whole file as it reads, holes as zeros (the file's SHA-256,
// the catalog's content identity, the same as for the file without holes), and the bytes stored
// (the object's own SHA-256, so a verify of the tape checks what is there).
import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { DataExtent } from '@ferrite/proto';
import { openSourceFile, SourceSkipped } from './source-file.js';

const CHUNK = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

export interface SparseCopyResult {
  /** SHA-256 of the whole file, holes read as zeros. */
  sha256: Buffer;
  /** The file's size. */
  bytes: number;
  /** SHA-256 and length of what went to tape: the extents, packed. */
  storedSha256: Buffer;
  stored: number;
}

function hashZeros(hash: ReturnType<typeof createHash>, n: number): void {
  for (let left = n; left > 0; left -= CHUNK) hash.update(left >= CHUNK ? ZEROS : ZEROS.subarray(0, left));
}

function write(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => out.write(chunk, (err) => (err ? reject(err) : resolve())));
}

/** `openOut` is called only once the source is open, as for hashingCopy. */
export async function sparseCopy(
  source: string,
  map: readonly DataExtent[],
  size: number,
  openOut: () => Promise<Writable>,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<SparseCopyResult> {
  const whole = createHash('sha256');
  const stored = createHash('sha256');
  const file = await openSourceFile(source);
  let out: Writable | undefined;
  let at = 0;
  let storedBytes = 0;
  try {
    out = await openOut();
    const failed = new Promise<never>((_, reject) => out!.once('error', reject));
    failed.catch(() => {});
    for (const e of map) {
      hashZeros(whole, e.offset - at);
      for (let done = 0; done < e.length;) {
        signal?.throwIfAborted();
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, e.length - done));
        const { bytesRead } = await file.read(buf, 0, buf.length, e.offset + done);
        // The file shrank since its extents were found: what is on tape would not be the file.
        if (bytesRead === 0) throw new SourceSkipped(source, 'CHANGED', `changed while it was read (shorter than its data extent at ${e.offset + done})`);
        const chunk = buf.subarray(0, bytesRead);
        whole.update(chunk);
        stored.update(chunk);
        await Promise.race([write(out, chunk), failed]);
        done += bytesRead;
        storedBytes += bytesRead;
        onBytes(bytesRead);
      }
      at = e.offset + e.length;
    }
    hashZeros(whole, size - at);
    out.end();
    await Promise.race([finished(out), failed]);
  } catch (err) {
    out?.destroy(err as Error);
    if (out) await finished(out).catch(() => {});
    throw err;
  } finally {
    await file.close();
  }
  return { sha256: whole.digest(), bytes: size, storedSha256: stored.digest(), stored: storedBytes };
}
