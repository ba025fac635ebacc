// Turns the versions a restore selected, and the placements of their contents, into the plan the
// agent executes: per tape, items in (partition, start block, offset) order so the tape only moves
// forward; tapes one at a time; entries that need no tape (directories, symlinks, empty files) apart.
// Pure, so the ordering rules are unit-tested without a database.
import { toProtoXattrs } from './version-attributes.js';
import { restoreOwnership } from './ownership.js';
import { dataBytes, decodeDataMap } from './data-map.js';
import { FileType as ProtoFileType, type RestoreItem, type RestoreTape, type TapeLocation } from '@ferrite/proto';
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
  FIFO: ProtoFileType.FILE_TYPE_FIFO,
  CHAR_DEVICE: ProtoFileType.FILE_TYPE_CHAR_DEVICE,
  BLOCK_DEVICE: ProtoFileType.FILE_TYPE_BLOCK_DEVICE,
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
    // A sparse file's object holds its data extents only: complete when it holds all of them.
    complete: contiguous && covered === (segments[0].dataMap ? dataBytes(decodeDataMap(segments[0].dataMap)) : version.size),
    own: group[0].jobId === version.jobId,
    copy: group[0].copy,
    jobId: group[0].jobId,
  };
}

/** Every copy of a file, best first: a complete set first, then the one whose tapes can be read now
 *  (a copy on a retired, suspect or offsite tape, or locked in another agent's library, only when no
 *  other will do), then the one its own backup job wrote, then the lowest copy number; ties broken by
 *  job id so plans are deterministic. */
function rankCopies(version: FileVersionRow, placements: PlacementRow[], tapeRank: (barcode: string) => number): CopyCandidate[] {
  const groups = new Map<string, PlacementRow[]>();
  for (const p of placements) {
    const key = `${p.jobId}\u0000${p.copy}`;
    const g = groups.get(key);
    if (g) g.push(p);
    else groups.set(key, [p]);
  }
  return [...groups.values()]
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
}

/** The placements to read a file from, one copy only (a file is never read twice): rankCopies' best. */
export function chooseCopy(version: FileVersionRow, placements: PlacementRow[], tapeRank: (barcode: string) => number = () => 0): PlacementRow[] {
  return rankCopies(version, placements, tapeRank)[0]?.segments ?? [];
}

/** Where a piece is, as the agent reads it. */
function locationOf(s: PlacementRow): TapeLocation {
  return {
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
    // A sparse file's object: the agent writes each extent at its place (the rest stays a hole).
    dataMap: decodeDataMap(s.dataMap),
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The placements of each content. */
function placementsByContent(placements: PlacementRow[]): Map<string, PlacementRow[]> {
  const byContent = new Map<string, PlacementRow[]>();
  for (const p of placements) {
    const list = byContent.get(p.contentId);
    if (list) list.push(p);
    else byContent.set(p.contentId, [p]);
  }
  return byContent;
}

/** Tape order on one tape: partition, then start block, then offset inside the container. */
export function compareTapePosition(
  a: { partition: string; startBlock: number; offset: number },
  b: { partition: string; startBlock: number; offset: number },
): number {
  return compareText(a.partition, b.partition) || a.startBlock - b.startBlock || a.offset - b.offset;
}

/**
 * `tapeRank` orders copies by how readable their tapes are for the restoring agent; `loadable` says
 * which tapes that agent can load by itself: every other complete copy on such tapes goes with the
 * item as an alternate, read when the chosen copy fails its SHA-256.
 */
export function buildRestorePlan(
  host: string,
  versions: FileVersionRow[],
  placements: PlacementRow[],
  tapeRank: (barcode: string) => number = () => 0,
  loadable: (barcode: string) => boolean = () => false,
): ResolvedRestore {
  const byContent = placementsByContent(placements);

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
      alternates: [],
      xattrs: toProtoXattrs(v.attributes),
      linkCount: v.attributes.linkCount,
      hardLinkTo: v.attributes.hardLinkTo,
      rdevMajor: v.attributes.device?.major ?? 0,
      rdevMinor: v.attributes.device?.minor ?? 0,
      // None for a version recorded without ownership: the agent keeps its own user then.
      ...restoreOwnership(v.ownership),
    };
    if (v.type === 'FILE') {
      fileCount++;
      byteCount += v.size;
    }
    if (v.type !== 'FILE' || v.size === 0) {
      (v.type === 'DIRECTORY' ? directories : others).push(item);
      continue;
    }
    const [chosen, ...rest] = v.contentId ? rankCopies(v, byContent.get(v.contentId) ?? [], tapeRank) : [];
    if (!chosen) {
      throw filesError(
        FilesErrorCode.CATALOG_ERROR,
        `the catalog has no copy on tape of ${JSON.stringify(item.path)} (version ${v.id}); it cannot be restored`,
        {
          fileId: v.id,
        },
      );
    }
    const alternates = rest.filter((c) => c.complete && c.segments.every((s) => loadable(s.barcode))).flatMap((c) => c.segments.map((s) => locationOf(s)));
    for (const s of chosen.segments) {
      const list = tapes.get(s.barcode) ?? [];
      tapes.set(s.barcode, list);
      list.push({ ...item, location: locationOf(s), alternates });
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

/** How much of a restore an agent could do from its own library, and how much of it it wrote. */
export interface ReaderScore {
  /** Files with a complete copy whose every tape is in the agent's library. */
  inLibrary: number;
  /** Entries whose backup job ran on the agent. */
  wrote: number;
}

/**
 * Adds one page of a selection to the agents' scores (the restore planner picks the agent with the
 * most files in its library, then the one that wrote the most). `holderOf` names the agent whose
 * library holds a tape, `writerOf` the agent that ran a job.
 */
export function tallyReaders(
  versions: FileVersionRow[],
  placements: PlacementRow[],
  holderOf: (barcode: string) => string | undefined,
  writerOf: (jobId: string) => string | undefined,
  scores: Map<string, ReaderScore>,
): void {
  const score = (agentId: string): ReaderScore => {
    let s = scores.get(agentId);
    if (!s) scores.set(agentId, (s = { inLibrary: 0, wrote: 0 }));
    return s;
  };
  const byContent = placementsByContent(placements);
  for (const v of versions) {
    const writer = writerOf(v.jobId);
    if (writer) score(writer).wrote++;
    if (v.type !== 'FILE' || v.size === 0 || !v.contentId) continue;
    const holders = new Set<string>();
    for (const copy of rankCopies(v, byContent.get(v.contentId) ?? [], () => 0)) {
      if (!copy.complete) continue;
      const agents = new Set(copy.segments.map((s) => holderOf(s.barcode)));
      const [only] = agents;
      if (agents.size === 1 && only !== undefined) holders.add(only);
    }
    for (const agentId of holders) score(agentId).inLibrary++;
  }
}
