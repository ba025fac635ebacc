// Turns the versions a restore selected, and the placements of their contents, into the plan the
// agent executes: per tape, items in (partition, start block, offset) order so the tape only moves
// forward; tapes one at a time; entries that need no tape (directories, symlinks, empty files) apart.
// Pure, so the ordering rules are unit-tested without a database.
import { FileType as ProtoFileType, type RestoreItem, type RestoreTape } from '@ferrite/proto';
import type { ResolvedRestore } from './files.contract.js';
import { FilesErrorCode, filesError } from './files.errors.js';
import type { FileVersionRow, PlacementRow } from './file-search.repository.js';
import type { DbFileType } from './ingest-plan.js';
import { joinPath } from './paths.js';

const EMPTY = Buffer.alloc(0);

const DB_TO_PROTO: Record<DbFileType, ProtoFileType> = {
  FILE: ProtoFileType.FILE_TYPE_FILE,
  DIRECTORY: ProtoFileType.FILE_TYPE_DIRECTORY,
  SYMLINK: ProtoFileType.FILE_TYPE_SYMLINK,
};

interface CopyCandidate {
  segments: PlacementRow[];
  /** The worst readability of its tapes (0 now, 1 to be inserted, 2 retired/suspect). */
  availability: number;
  covered: number;
  complete: boolean;
  own: boolean;
  copy: number;
  jobId: string;
}

/** One placement per segment of one (job, copy) group, and whether they cover the whole file. */
function candidate(group: PlacementRow[], version: FileVersionRow, tapeRank: (barcode: string) => number): CopyCandidate {
  const bySegment = new Map<number, PlacementRow>();
  for (const p of group) if (!bySegment.has(p.segment)) bySegment.set(p.segment, p);
  const segments = [...bySegment.values()].sort((a, b) => a.fileOffset - b.fileOffset || a.segment - b.segment);
  let covered = 0;
  let contiguous = true;
  for (const s of segments) {
    if (s.fileOffset !== covered) contiguous = false;
    covered += s.length;
  }
  return {
    segments,
    availability: Math.max(...segments.map((s) => tapeRank(s.barcode))),
    covered,
    complete: contiguous && covered === version.size,
    own: group[0].jobId === version.jobId,
    copy: group[0].copy,
    jobId: group[0].jobId,
  };
}

/** Picks the placements to read a file from, one copy only (a file is never read twice): a complete
 *  set first, then the one whose tapes can be read now (a copy on a retired, suspect or offsite tape
 *  only when no other will do), then the one its own backup job wrote, then the lowest copy number;
 *  ties broken by job id so plans are deterministic. */
export function chooseCopy(version: FileVersionRow, placements: PlacementRow[], tapeRank: (barcode: string) => number = () => 0): PlacementRow[] {
  const groups = new Map<string, PlacementRow[]>();
  for (const p of placements) {
    const key = `${p.jobId}\u0000${p.copy}`;
    const g = groups.get(key);
    if (g) g.push(p);
    else groups.set(key, [p]);
  }
  const ranked = [...groups.values()]
    .map((g) => candidate(g, version, tapeRank))
    .sort(
      (a, b) =>
        Number(b.complete) - Number(a.complete) ||
        a.availability - b.availability ||
        Number(b.own) - Number(a.own) ||
        a.copy - b.copy ||
        b.covered - a.covered ||
        (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0),
    );
  return ranked[0]?.segments ?? [];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Tape order on one tape: partition, then start block, then offset inside the container. */
export function compareTapePosition(
  a: { partition: string; startBlock: number; offset: number },
  b: { partition: string; startBlock: number; offset: number },
): number {
  return compareText(a.partition, b.partition) || a.startBlock - b.startBlock || a.offset - b.offset;
}

export function buildRestorePlan(
  host: string,
  versions: FileVersionRow[],
  placements: PlacementRow[],
  tapeRank: (barcode: string) => number = () => 0,
): ResolvedRestore {
  const byContent = new Map<string, PlacementRow[]>();
  for (const p of placements) {
    const list = byContent.get(p.contentId);
    if (list) list.push(p);
    else byContent.set(p.contentId, [p]);
  }

  const tapes = new Map<string, RestoreItem[]>();
  const directories: RestoreItem[] = [];
  const others: RestoreItem[] = [];
  let fileCount = 0;
  let byteCount = 0;

  for (const v of versions) {
    const item: RestoreItem = {
      path: joinPath(v.dirPath, v.name),
      type: DB_TO_PROTO[v.type],
      size: v.size,
      mtimeMs: v.mtime.getTime(),
      mtimeNanos: v.mtimeNanos ?? 0,
      mode: v.mode,
      sha256: v.sha256 ?? Buffer.alloc(0),
      symlinkTarget: v.symlinkTarget ?? '',
      location: undefined,
    };
    if (v.type === 'FILE') {
      fileCount++;
      byteCount += v.size;
    }
    if (v.type !== 'FILE' || v.size === 0) {
      (v.type === 'DIRECTORY' ? directories : others).push(item);
      continue;
    }
    const segments = v.contentId ? chooseCopy(v, byContent.get(v.contentId) ?? [], tapeRank) : [];
    if (segments.length === 0) {
      throw filesError(
        FilesErrorCode.CATALOG_ERROR,
        `the catalog has no copy on tape of ${JSON.stringify(item.path)} (version ${v.id}); it cannot be restored`,
        {
          fileId: v.id,
        },
      );
    }
    for (const s of segments) {
      const list = tapes.get(s.barcode) ?? [];
      tapes.set(s.barcode, list);
      list.push({
        ...item,
        location: {
          barcode: s.barcode,
          partition: s.partition,
          startBlock: s.startBlock,
          containerPath: s.containerPath,
          offset: s.offset,
          length: s.length,
          segment: s.segment,
          fileOffset: s.fileOffset,
          copy: s.copy,
          // The agent checks each piece it reads against it (empty: a file in one piece).
          segmentSha256: s.segmentSha256 ?? EMPTY,
        },
      });
    }
  }

  const restoreTapes: RestoreTape[] = [...tapes.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([barcode, items]) => ({
      barcode,
      items: items.sort((a, b) => compareTapePosition(a.location!, b.location!) || compareText(a.path, b.path)),
    }));
  // Sorting by path puts every directory after its parent: a parent's path is a prefix of its child's.
  directories.sort((a, b) => compareText(a.path, b.path));
  others.sort((a, b) => compareText(a.path, b.path));
  return { host, tapes: restoreTapes, metadataItems: [...directories, ...others], fileCount, byteCount };
}
