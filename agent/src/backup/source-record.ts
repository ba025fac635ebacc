// The record a backup reports for a scanned entry, before its content is known (sha256 and
// locations are added once the bytes are on tape, or taken from the base for a reference).
import { createHash } from 'node:crypto';
import { FileType, type FileRecord } from '@ferrite/proto';
import type { SourceEntry } from './source-scan.js';

const EMPTY_SHA256 = createHash('sha256').digest();

export function recordOf(e: SourceEntry): FileRecord {
  return {
    path: e.path,
    type: e.type === 'file' ? FileType.FILE_TYPE_FILE : e.type === 'directory' ? FileType.FILE_TYPE_DIRECTORY : FileType.FILE_TYPE_SYMLINK,
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
    deleted: false,
  };
}
