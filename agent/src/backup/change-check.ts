// Whether a file changed while the backup read it (or between the scan and the read): the lstat
// taken right after the read is compared with what the scan saw. Size, mtime and ctime to the
// nanosecond, inode and device: a writer changes mtime (and ctime), a chmod or a link changes
// ctime, an editor's save-by-rename gives the path another inode. Equal figures say the bytes read
// are the file as scanned (as far as the kernel can tell: a writer that restores the mtime still
// changes the ctime, which nobody can set). Pure: unit-tested.
import type { StatResult } from './fs-batch.js';
import type { SourceEntry } from './source-scan.js';
import { joinNs } from './file-time.js';

type Scanned = Pick<SourceEntry, 'size' | 'mtimeMs' | 'mtimeNanos' | 'ctimeMs' | 'ctimeNanos' | 'inode' | 'dev'>;

/** What differs, for the job log ("size 10 -> 12, mtime, ctime"), or null when nothing does.
 *  `bytesRead`: what the read got, which differs from the size when the file changed under it. */
export function changeSince(scanned: Scanned, now: StatResult, bytesRead?: number): string | null {
  if (!now.ok) return `it vanished after the read (${now.code})`;
  if (now.kind !== 'file') return `it is no longer a regular file (now a ${now.kind})`;
  const what: string[] = [];
  if (now.size !== scanned.size) what.push(`size ${scanned.size} -> ${now.size} bytes`);
  else if (bytesRead !== undefined && bytesRead !== scanned.size) what.push(`${bytesRead} of ${scanned.size} bytes read`);
  if (joinNs(now.mtime.ms, now.mtime.nanos) !== joinNs(scanned.mtimeMs, scanned.mtimeNanos)) what.push('mtime');
  if (joinNs(now.ctime.ms, now.ctime.nanos) !== joinNs(scanned.ctimeMs, scanned.ctimeNanos)) what.push('ctime');
  if (now.ino !== scanned.inode) what.push('inode (replaced by another file)');
  else if (scanned.dev !== undefined && now.dev !== scanned.dev) what.push('device');
  return what.length ? what.join(', ') : null;
}

/** The scanned entry brought up to date from a fresh lstat (a file read again): what is recorded
 *  then describes the file as it is now. A file that is no longer one gives null. */
export function refreshed<T extends SourceEntry>(e: T, now: StatResult): T | null {
  if (!now.ok || now.kind !== 'file') return null;
  return {
    ...e,
    size: now.size,
    mtimeMs: now.mtime.ms,
    mtimeNanos: now.mtime.nanos,
    ctimeMs: now.ctime.ms,
    ctimeNanos: now.ctime.nanos,
    mode: now.mode & 0o7777,
    // A chown since the scan changed the ctime too: the re-read records the owner it has now.
    uid: now.uid ?? e.uid,
    gid: now.gid ?? e.gid,
    inode: now.ino,
    nlink: now.nlink,
    dev: now.dev,
    blocks: now.blocks,
    // Its holes are found again (the old map may no longer fit it).
    dataMap: undefined,
  };
}
