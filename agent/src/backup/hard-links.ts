// Hard links in one backup: files that share (device, inode) are one file under several names. The
// first of them in the backup's order carries the content (its bytes go to tape once); every other
// one is recorded with `hardLinkTo` naming the first and the first's content, so a restore that
// brings them back together links them again, and one brought back alone is a plain file.
// Pure: unit-tested.
import type { FileRecord } from '@ferrite/proto';
import { recordOf } from './source-record.js';
import type { SourceEntry } from './source-scan.js';

/**
 * Marks each file of a link group after the first with `hardLinkTo` (the first's path) and returns
 * the others of each group by the first's path. `entries` in the order the backup records them:
 * the first of a group is the one whose bytes are written. Directories cannot be hard links, and
 * files with one link are left alone.
 */
export function planHardLinks(entries: readonly SourceEntry[]): Map<string, SourceEntry[]> {
  const firstOf = new Map<string, SourceEntry>();
  const members = new Map<string, SourceEntry[]>();
  for (const e of entries) {
    if (e.type !== 'file' || e.nlink === undefined || e.nlink < 2 || e.dev === undefined) continue;
    const key = `${e.dev}:${e.inode}`;
    const first = firstOf.get(key);
    if (!first) {
      firstOf.set(key, e);
      continue;
    }
    e.hardLinkTo = first.path;
    members.set(first.path, [...(members.get(first.path) ?? []), e]);
  }
  return members;
}

/** The records of `first`'s other names once its content is known: the same bytes, size and places. */
export function linkRecords(first: FileRecord, others: readonly SourceEntry[]): FileRecord[] {
  // A flagged file's other names are the same bytes, read once: flagged with it.
  return others.map((e) => ({
    ...recordOf(e),
    size: first.size,
    sha256: first.sha256,
    locations: first.locations,
    dataMap: first.dataMap,
    changedDuringBackup: first.changedDuringBackup,
  }));
}
