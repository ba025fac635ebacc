// Compares one root's scan with the base run's state and decides, entry by entry, what the run must
// record: both sides are in the same order ((directory, name) by bytes, as the server streams the
// base), so one merge pass does it and the base is never held in memory.
//
//   - in the scan only: new, written;
//   - in the base only: gone, a deletion marker;
//   - in both with the same type, size, mtime, ctime, inode, mode (and link target): unchanged.
//     INCREMENTAL records nothing; FULL records it again, and writes the bytes again unless the
//     server says the pool already holds enough copies of that content (dedup: recorded by
//     reference, no bytes written);
//   - a new file with the inode, size and mtime of a file gone from the base (a rename or move
//     within the root): recorded by reference to the base's content, not written again, in an
//     INCREMENTAL (in a FULL only when the pool's dedup says the content has enough copies);
//   - in both, and the base entry is `confirmed` (a resumed job: an earlier attempt already wrote it
//     into this job's own run) with the same metadata: skipped, neither recorded nor written again;
//     changed since, it is compared with that confirmed version like any base entry;
//   - anything else: changed, written; with compareContent a regular file of the same size is hashed
//     first, and when its content equals the base's it is recorded by reference (new times, no bytes).
import { legacyRoundedMs } from './file-time.js';
import { FileType, IncrementalLevel, type FileRecord, type IncrementalBaseEntry, type IncrementalBaseResponse } from '@ferrite/proto';
import type { SourceEntry } from './source-scan.js';
import { TYPE_OF } from './source-record.js';

export interface BaseDiffOptions {
  level: IncrementalLevel;
  compareContent: boolean;
  /** SHA-256 of a file on disk (only called with compareContent). */
  hashFile: (entry: SourceEntry) => Promise<Buffer | null>;
}

export interface BaseDiff {
  /** Entries to record the usual way (files written to tape, metadata entries as they are). */
  record: SourceEntry[];
  /** Files recorded with the base's content and no bytes written. */
  byReference: Array<{ entry: SourceEntry; sha256: Buffer }>;
  /** Deletion markers. */
  deleted: FileRecord[];
  unchanged: number;
  /** Entries an earlier attempt of this job confirmed, unchanged since: skipped. */
  confirmed: number;
  /** From the first message: the base run compared with, the level really run, a log line. */
  baseRunId: string;
  level: IncrementalLevel;
  note: string;
}

/** Sort key of a path: its directory and name joined by NUL (which no path holds), as UTF-8, so
 *  byte order of the keys is the server's `ORDER BY directory COLLATE "C", name COLLATE "C"`. */
export function orderKey(path: string): Buffer {
  const slash = path.lastIndexOf('/');
  const dir = slash <= 0 ? '/' : path.slice(0, slash);
  const name = path === '/' ? '' : path.slice(slash + 1);
  return Buffer.from(`${dir}\0${name}`, 'utf8');
}

/** The scan entries in base order (a copy). */
export function sortForDiff(entries: readonly SourceEntry[]): SourceEntry[] {
  const keyed = entries.map((e) => ({ e, k: orderKey(e.path) }));
  keyed.sort((a, b) => Buffer.compare(a.k, b.k));
  return keyed.map((x) => x.e);
}

/** The base's mtime as this scan would see it: exact, or (a base recorded before nanosecond times)
 *  rounded to the millisecond as that agent did, so an upgrade does not make every file look changed. */
function sameMtime(e: SourceEntry, b: IncrementalBaseEntry): boolean {
  if (b.mtimeNanos === undefined) return legacyRoundedMs({ ms: e.mtimeMs, nanos: e.mtimeNanos }) === b.mtimeMs;
  return e.mtimeMs === b.mtimeMs && e.mtimeNanos === b.mtimeNanos;
}

function sameCtime(e: SourceEntry, b: IncrementalBaseEntry): boolean {
  // Unknown (0) in a base written by an agent that did not send it.
  if (b.ctimeMs === 0) return true;
  return (b.mtimeNanos === undefined ? legacyRoundedMs({ ms: e.ctimeMs, nanos: e.ctimeNanos }) : e.ctimeMs) === b.ctimeMs;
}

function sameMetadata(e: SourceEntry, b: IncrementalBaseEntry): boolean {
  if (TYPE_OF[e.type] !== b.type || e.mode !== b.mode || !sameMtime(e, b)) return false;
  if (e.type === 'symlink') return e.symlinkTarget === b.symlinkTarget;
  if (e.type === 'directory') return true;
  // The inode is unknown (0) in a base written by an agent that did not send it.
  return e.size === b.size && sameCtime(e, b) && (b.inode === 0 || e.inode === b.inode);
}

function deletionMarker(b: IncrementalBaseEntry): FileRecord {
  return {
    path: b.path,
    type: b.type,
    size: 0,
    mtimeMs: b.mtimeMs,
    mtimeNanos: b.mtimeNanos,
    ctimeMs: 0,
    inode: 0,
    mode: b.mode,
    sha256: Buffer.alloc(0),
    symlinkTarget: '',
    locations: [],
    xattrs: [],
    linkCount: 0,
    hardLinkTo: '',
    dataMap: [],
    owner: '',
    group: '',
    rdevMajor: 0,
    rdevMinor: 0,
    deleted: true,
    changedDuringBackup: false,
  };
}

/** New files that are a gone file under another name (same inode, size and mtime) are recorded by
 *  reference; the rest of `added` is recorded the usual way, in scan order. */
function matchRenames(added: SourceEntry[], gone: IncrementalBaseEntry[], out: BaseDiff): void {
  // A gone entry is keyed by its time as recorded: exact, or rounded (a base before nanosecond times).
  const keyOfBase = (b: IncrementalBaseEntry) => `${b.inode}:${b.size}:${b.mtimeMs}:${b.mtimeNanos ?? 'rounded'}`;
  const byIdentity = new Map(gone.map((b) => [keyOfBase(b), b]));
  for (const e of added) {
    const b =
      e.type === 'file' && e.size > 0
        ? (byIdentity.get(`${e.inode}:${e.size}:${e.mtimeMs}:${e.mtimeNanos}`) ??
          byIdentity.get(`${e.inode}:${e.size}:${legacyRoundedMs({ ms: e.mtimeMs, nanos: e.mtimeNanos })}:rounded`))
        : undefined;
    const allowed = b && (out.level === IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL || b.contentSufficient);
    if (b && allowed) {
      out.byReference.push({ entry: e, sha256: Buffer.from(b.sha256) });
      byIdentity.delete(keyOfBase(b));
    } else out.record.push(e);
  }
}

/** `scan`: one root's entries, sorted with sortForDiff. `base`: the IncrementalBase stream. */
export async function diffWithBase(scan: readonly SourceEntry[], base: AsyncIterable<IncrementalBaseResponse>, opts: BaseDiffOptions): Promise<BaseDiff> {
  const out: BaseDiff = { record: [], byReference: [], deleted: [], unchanged: 0, confirmed: 0, baseRunId: '', level: opts.level, note: '' };
  const keys = scan.map((e) => orderKey(e.path));
  // New entries and the files gone from the base: both as few as the changes, so renames are
  // matched in memory after the pass.
  const added: SourceEntry[] = [];
  const gone: IncrementalBaseEntry[] = [];
  let i = 0;
  let first = true;
  const decide = async (e: SourceEntry, b: IncrementalBaseEntry) => {
    if (sameMetadata(e, b)) {
      // Already in this job's run: recording it again would only repeat what is confirmed.
      if (b.confirmed) out.confirmed++;
      else if (out.level === IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL) out.unchanged++;
      else if (e.type === 'file' && e.size > 0 && b.contentSufficient && b.sha256.length === 32)
        out.byReference.push({ entry: e, sha256: Buffer.from(b.sha256) });
      else out.record.push(e);
      return;
    }
    if (opts.compareContent && e.type === 'file' && b.type === FileType.FILE_TYPE_FILE && e.size > 0 && e.size === b.size && b.sha256.length === 32) {
      const sha = await opts.hashFile(e);
      if (sha && sha.equals(b.sha256)) {
        out.byReference.push({ entry: e, sha256: sha });
        return;
      }
    }
    out.record.push(e);
  };
  for await (const msg of base) {
    if (first) {
      out.baseRunId = msg.baseRunId;
      out.level = msg.level || opts.level;
      out.note = msg.note;
      first = false;
    }
    for (const b of msg.entries) {
      const bk = orderKey(b.path);
      let matched = false;
      while (i < scan.length) {
        const cmp = Buffer.compare(keys[i], bk);
        if (cmp > 0) break;
        // Scan entries before this base entry are new.
        if (cmp < 0) added.push(scan[i]);
        else {
          await decide(scan[i], b);
          matched = true;
        }
        i++;
        if (matched) break;
      }
      if (!matched) {
        out.deleted.push(deletionMarker(b));
        if (b.type === FileType.FILE_TYPE_FILE && b.inode !== 0 && b.size > 0 && b.sha256.length === 32) gone.push(b);
      }
    }
  }
  // Whatever is left of the scan is new.
  for (; i < scan.length; i++) added.push(scan[i]);
  matchRenames(added, gone, out);
  return out;
}
