// One lstat as the backup keeps it (times to the nanosecond, bigint), shared by the file-system
// worker (the scan, the re-stat after a small file's read) and the job itself (the re-stat after a
// large file's read), so both compare the same figures.
import { lstatSync, type BigIntStats, type Stats } from 'node:fs';
import { splitNs } from './file-time.js';
import { splitRdev } from './device-numbers.js';
import type { StatKind, StatResult } from './fs-batch.js';

function kindOf(st: Stats | BigIntStats): StatKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char-device';
  return st.isBlockDevice() ? 'block-device' : 'other';
}

export function failure(err: unknown): { ok: false; code: string; message: string } {
  const e = err as NodeJS.ErrnoException;
  return { ok: false, code: e.code ?? 'EIO', message: e.message };
}

/** lstat of `p` now; a failure is a value (the caller decides what a vanished entry means). */
export function statNow(p: string): StatResult {
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
