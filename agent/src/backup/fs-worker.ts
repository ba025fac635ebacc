// The body of the file-system worker (see fs-batch.ts). It runs plain synchronous system calls, one
// batch per message: in a worker thread a blocking lstat or read costs a few microseconds and stalls
// nobody, while the promise API pays a thread-pool round trip per call (open, fstat, read, close:
// four per small file), which on a busy 2-core machine caps a backup at a few thousand files/s.
import { closeSync, fstatSync, lstatSync, readSync, type BigIntStats, type Stats } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { splitNs } from './file-time.js';
import { splitRdev } from './device-numbers.js';
import { openSourceFileSync } from './source-file.js';
import type { FsRequest, FsResponse, StatKind, StatResult, ReadResult } from './fs-batch.js';

function kindOf(st: Stats | BigIntStats): StatKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char-device';
  return st.isBlockDevice() ? 'block-device' : 'other';
}

function failure(err: unknown): { ok: false; code: string; message: string } {
  const e = err as NodeJS.ErrnoException;
  return { ok: false, code: e.code ?? 'EIO', message: e.message };
}

function statOne(p: string): StatResult {
  try {
    // bigint: the times to the nanosecond (a float of milliseconds cannot hold them).
    const st = lstatSync(p, { bigint: true });
    return {
      ok: true,
      kind: kindOf(st),
      size: Number(st.size),
      mtime: splitNs(st.mtimeNs),
      ctime: splitNs(st.ctimeNs),
      mode: Number(st.mode),
      uid: Number(st.uid),
      gid: Number(st.gid),
      ino: Number(st.ino),
      nlink: Number(st.nlink),
      dev: Number(st.dev),
      blocks: Number(st.blocks),
      ...splitRdev(st.rdev),
    };
  } catch (err) {
    return failure(err);
  }
}

/** Reads a whole file as it is now (it may have changed size since it was scanned). */
function readOne(p: string): ReadResult {
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
    parentPort!.postMessage({ id: req.id, op: 'lstat', results: req.paths.map(statOne) } satisfies FsResponse);
    return;
  }
  const results = req.paths.map(readOne);
  const buffers = results.flatMap((r) => (r.ok ? [r.data.buffer as ArrayBuffer] : []));
  parentPort!.postMessage({ id: req.id, op: 'read', results } satisfies FsResponse, buffers);
});
