// The record a backup reports for a scanned entry, before its content is known (sha256 and
// locations are added once the bytes are on tape, or taken from the base for a reference).
import { createHash } from 'node:crypto';
import { FileType, type FileRecord } from '@ferrite/proto';
import type { SourceEntry } from './source-scan.js';

const EMPTY_SHA256 = createHash('sha256').digest();

export const TYPE_OF: Record<SourceEntry['type'], FileType> = {
  file: FileType.FILE_TYPE_FILE,
  directory: FileType.FILE_TYPE_DIRECTORY,
  symlink: FileType.FILE_TYPE_SYMLINK,
  fifo: FileType.FILE_TYPE_FIFO,
  'char-device': FileType.FILE_TYPE_CHAR_DEVICE,
  'block-device': FileType.FILE_TYPE_BLOCK_DEVICE,
};

export function recordOf(e: SourceEntry): FileRecord {
  return {
    path: e.path,
    type: TYPE_OF[e.type],
    size: e.size,
    // Exact: floored milliseconds plus the nanoseconds within (file-time.ts), never rounded.
    mtimeMs: e.mtimeMs,
    mtimeNanos: e.mtimeNanos,
    ctimeMs: e.ctimeMs,
    inode: e.inode,
    mode: e.mode,
    sha256: e.type === 'file' && e.size === 0 ? EMPTY_SHA256 : Buffer.alloc(0),
    symlinkTarget: e.symlinkTarget,
    locations: [],
    xattrs: e.xattrs ?? [],
    linkCount: e.nlink !== undefined && e.nlink > 1 ? e.nlink : 0,
    hardLinkTo: e.hardLinkTo ?? '',
    dataMap: e.dataMap ?? [],
    rdevMajor: e.rdevMajor ?? 0,
    rdevMinor: e.rdevMinor ?? 0,
    uid: e.uid,
    gid: e.gid,
    owner: e.owner ?? '',
    group: e.group ?? '',
    deleted: false,
    changedDuringBackup: false,
  };
}
