// Walks the backup sources without following symlinks and lists what to save, in a stable order
// (sorted by name within each directory). Excludes: a pattern without '/' matches an entry's name at
// any depth (`*.tmp`, `node_modules`); a pattern with '/' matches the whole absolute path (`/data/cache/**`).
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { DataExtent, ExtendedAttribute } from '@ferrite/proto';
import { FsBatchWorker, type StatResult } from './fs-batch.js';

/** Entries of one directory stat'ed per worker round trip (see fs-batch.ts). */
const STAT_BATCH = 512;

/** FIFOs and devices are recorded with their metadata (and a device's numbers); sockets are not (a
 *  socket is made by the program that listens on it). */
export type EntryType = 'file' | 'directory' | 'symlink' | 'fifo' | 'char-device' | 'block-device';

export interface SourceEntry {
  /** Absolute path as found on the host. */
  path: string;
  type: EntryType;
  size: number;
  /** Milliseconds since the epoch, floored, and the nanoseconds within (see file-time.ts). */
  mtimeMs: number;
  mtimeNanos: number;
  ctimeMs: number;
  /** Kept only to compare with a base recorded before nanosecond times (legacyRoundedMs). */
  ctimeNanos: number;
  mode: number;
  /** Owner and group, by number, and their names on this host (owner-names.ts; '' when none or not looked up yet). */
  uid: number;
  gid: number;
  owner?: string;
  group?: string;
  inode: number;
  symlinkTarget: string;
  /** Extended attributes and ACLs to record, read after the scan for what the backup records
   *  (xattrs/xattr-reader.ts); absent until then. */
  xattrs?: ExtendedAttribute[];
  /** st_nlink and st_dev of a file (hard links share both with st_ino); absent where unknown. */
  nlink?: number;
  dev?: number;
  /** Set by planHardLinks (hard-links.ts): the path of the entry of this backup it is a hard link of. */
  hardLinkTo?: string;
  /** st_blocks (512-byte units allocated): fewer than the size says the file may have holes. */
  blocks?: number;
  /** A sparse file's data extents (sparse-map.ts), set before it is written. */
  dataMap?: DataExtent[];
  /** A device's numbers. */
  rdevMajor?: number;
  rdevMinor?: number;
}

export interface ScanIssue {
  path: string;
  reason: string;
  /** An entry the backup cannot save (counted with the files that could not be read). */
  skipped?: boolean;
}

/**
 * A name as the job log shows it when its bytes are not valid UTF-8: every valid character as it is,
 * each other byte as \xNN (and a backslash as \\, so the escape is unambiguous). `f\xff` is the
 * name of bytes 66 ff.
 */
export function escapeName(raw: Buffer): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const b = raw[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    const piece = raw.subarray(i, i + len);
    if (len && piece.length === len && Buffer.from(piece.toString('utf8'), 'utf8').equals(piece)) {
      out += b === 0x5c ? '\\\\' : piece.toString('utf8');
      i += len;
    } else {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

export class SourceNotFoundError extends Error {
  constructor(readonly missing: string[]) {
    super(`backup path${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}`);
  }
}

export function compileExcludes(patterns: string[]): (absPath: string) => boolean {
  const matchers = patterns.map((p) => {
    const m = picomatch(p, { dot: true });
    return p.includes('/') ? (abs: string) => m(abs) : (abs: string) => m(path.posix.basename(abs));
  });
  return (abs) => matchers.some((m) => m(abs));
}

/** Fails before anything is read when a root does not exist, so a bad request changes nothing. */
export async function checkRoots(roots: string[]): Promise<void> {
  const missing: string[] = [];
  for (const root of roots) {
    if (!path.isAbsolute(root)) missing.push(`${root} (not absolute)`);
    else await lstat(root).catch(() => missing.push(root));
  }
  if (missing.length) throw new SourceNotFoundError(missing);
}

/** `signal`: stops the walk between entries (a plan that ran out of time); the promise then rejects with its reason. */
export async function scanSources(roots: string[], excludes: string[], onIssue: (issue: ScanIssue) => void, signal?: AbortSignal): Promise<SourceEntry[]> {
  await checkRoots(roots);
  const excluded = compileExcludes(excludes);
  const out: SourceEntry[] = [];
  const seen = new Set<string>();
  const worker = new FsBatchWorker();

  const visit = async (abs: string, known?: StatResult): Promise<void> => {
    signal?.throwIfAborted();
    if (seen.has(abs) || excluded(abs)) return;
    seen.add(abs);
    const st = known ?? (await worker.lstat([abs]))[0];
    if (!st.ok) {
      onIssue({ path: abs, reason: `vanished before it could be read (${st.code})` });
      return;
    }
    const base = {
      path: abs,
      size: 0,
      mtimeMs: st.mtime.ms,
      mtimeNanos: st.mtime.nanos,
      ctimeMs: st.ctime.ms,
      ctimeNanos: st.ctime.nanos,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      inode: st.ino,
      symlinkTarget: '',
    };
    if (st.kind === 'symlink') {
      out.push({ ...base, type: 'symlink', symlinkTarget: await readlink(abs) });
    } else if (st.kind === 'file') {
      out.push({ ...base, type: 'file', size: st.size, nlink: st.nlink, dev: st.dev, blocks: st.blocks });
    } else if (st.kind === 'fifo') {
      out.push({ ...base, type: 'fifo' });
    } else if (st.kind === 'char-device' || st.kind === 'block-device') {
      out.push({ ...base, type: st.kind, rdevMajor: st.rdevMajor, rdevMinor: st.rdevMinor });
    } else if (st.kind === 'directory') {
      out.push({ ...base, type: 'directory' });
      let names: Buffer[];
      try {
        names = await readdir(abs, { encoding: 'buffer' });
      } catch (err) {
        onIssue({ path: abs, reason: `cannot list directory (${(err as NodeJS.ErrnoException).code})` });
        return;
      }
      names.sort((a, b) => Buffer.compare(a, b));
      const children: string[] = [];
      for (const raw of names) {
        const name = raw.toString('utf8');
        // Paths are UTF-8 text in the protocol, the manifests and the catalog: a name that is not
        // valid UTF-8 could not be opened again by its text nor restored byte for byte, so it is
        // reported (escaped) and skipped rather than silently altered (a directory with its contents).
        if (!Buffer.from(name, 'utf8').equals(raw)) {
          onIssue({ path: path.join(abs, escapeName(raw)), reason: 'name is not valid UTF-8 (shown escaped); skipped', skipped: true });
          continue;
        }
        children.push(path.join(abs, name));
      }
      // Stat a directory's entries in batches (latency-bound), then descend in order.
      const stats = new Map<string, StatResult>();
      for (let i = 0; i < children.length; i += STAT_BATCH) {
        const batch = children.slice(i, i + STAT_BATCH);
        const results = await worker.lstat(batch);
        batch.forEach((c, j) => stats.set(c, results[j]));
      }
      for (const child of children) await visit(child, stats.get(child));
    } else {
      onIssue({ path: abs, reason: 'a socket (made by the program that listens on it, nothing to restore); skipped' });
    }
  };

  try {
    for (const root of roots) await visit(path.resolve(root));
  } finally {
    await worker.close();
  }
  return out;
}
