// Streams one source file to the tape, hashing the bytes as they pass (once, in the pipeline), so
// the hash describes exactly what was written.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';

const CHUNK = 1024 * 1024;

export interface CopyResult {
  sha256: Buffer;
  bytes: number;
}

export async function hashingCopy(source: string, out: Writable, onBytes: (n: number) => void, signal?: AbortSignal): Promise<CopyResult> {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(
    createReadStream(source, { highWaterMark: CHUNK }),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        bytes += chunk.length;
        onBytes(chunk.length);
        yield chunk;
      }
    },
    out,
    { signal },
  );
  return { sha256: hash.digest(), bytes };
}
