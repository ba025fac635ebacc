// The body of the file-system worker (see fs-batch.ts). It runs plain synchronous system calls, one
// batch per message: in a worker thread a blocking lstat or read costs a few microseconds and stalls
// nobody, while the promise API pays a thread-pool round trip per call (open, fstat, read, close:
// four per small file), which on a busy 2-core machine caps a backup at a few thousand files/s.
import { closeSync, fstatSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { openSourceFileSync } from './source-file.js';
import { failure, statNow } from './fs-stat.js';
import type { FsRequest, FsResponse, ReadResult } from './fs-batch.js';

/**
 * Reads a whole file as it is now (it may have changed size since it was scanned), then lstats its
 * path again: the job compares that with the scan to find a file that changed while it was read
 * (change-check.ts). Here, not in the job, so it costs no extra round trip per small file.
 */
function readOne(p: string): ReadResult {
  const read = readWhole(p);
  return read.ok ? { ...read, after: statNow(p) } : read;
}

function readWhole(p: string): { ok: true; data: Buffer } | { ok: false; code: string; message: string } {
  const opened = openSourceFileSync(p);
  if (!('fd' in opened)) return { ok: false, ...opened };
  const fd = opened.fd;
  try {
    const expected = fstatSync(fd).size;
    // Not from the shared pool: each file's buffer is its own ArrayBuffer, handed over without a copy.
    let buf = Buffer.allocUnsafeSlow(Math.max(expected, 1));
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return { ok: true, data: buf.subarray(0, length) };
  } catch (err) {
    return failure(err);
  } finally {
    closeSync(fd);
  }
}

parentPort!.on('message', (req: FsRequest) => {
  if (req.op === 'lstat') {
    parentPort!.postMessage({ id: req.id, op: 'lstat', results: req.paths.map(statNow) } satisfies FsResponse);
    return;
  }
  const results = req.paths.map(readOne);
  const buffers = results.flatMap((r) => (r.ok ? [r.data.buffer as ArrayBuffer] : []));
  parentPort!.postMessage({ id: req.id, op: 'read', results } satisfies FsResponse, buffers);
});
