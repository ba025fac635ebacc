// Checkpoints of a backup: records of objects that are completely written wait here; a flush writes
// them as a manifest on the tape, syncs the LTFS index (now they are durable) and only then reports
// them to the catalog. So the catalog never claims a file that a crash could still take away.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { FileRecord } from '@ferrite/proto';
import { FileType, TapeLocation, type DataExtent, type ExtendedAttribute } from '@ferrite/proto';
import type { MountedVolume } from '../drives/drive.js';
import { manifestPath } from './tape-paths.js';

export interface CheckpointLimits {
  bytes: number;
  files: number;
}

const TYPE_NAMES: Record<number, string> = {
  [FileType.FILE_TYPE_FILE]: 'file',
  [FileType.FILE_TYPE_DIRECTORY]: 'directory',
  [FileType.FILE_TYPE_SYMLINK]: 'symlink',
  [FileType.FILE_TYPE_FIFO]: 'fifo',
  [FileType.FILE_TYPE_CHAR_DEVICE]: 'char-device',
  [FileType.FILE_TYPE_BLOCK_DEVICE]: 'block-device',
};

/** A location as a manifest writes it: a segment's SHA-256 in hex, and only on segments of a file spanning tapes. */
function locationJson(l: TapeLocation): Record<string, unknown> {
  const { segmentSha256, dataMap, ...rest } = l;
  return {
    ...rest,
    ...(segmentSha256?.length ? { segmentSha256: Buffer.from(segmentSha256).toString('hex') } : {}),
    // Only on the object of a sparse file: the extents it holds, packed, as [offset, length] pairs.
    ...(dataMap?.length ? { dataMap: pairs(dataMap) } : {}),
  };
}

function pairs(map: readonly DataExtent[]): Array<[number, number]> {
  return map.map((e) => [e.offset, e.length]);
}

function extentsFromJson(x: unknown): DataExtent[] {
  return Array.isArray(x) ? x.map((p) => ({ offset: Number((p as number[])[0]), length: Number((p as number[])[1]) })) : [];
}

/** Whether the record's content lies in more than one piece (a file spanning tapes). */
function isSpanned(r: FileRecord): boolean {
  return r.locations.some((l) => l.segment > 0 || (l.segmentSha256?.length ?? 0) > 0);
}

/** One manifest line: self-contained, so a catalog can be rebuilt from the tape alone. */
export function manifestLine(job: { jobId: string; attempt: number; host: string }, r: FileRecord): string {
  return JSON.stringify({
    // 2 on a file spanning tapes: a reader of version 1 would take its first segment for the file;
    // 3 on a sparse file: a reader of 1 or 2 would take its packed extents for the file.
    v: r.dataMap?.length ? 3 : isSpanned(r) ? 2 : 1,
    job: job.jobId,
    attempt: job.attempt,
    host: job.host,
    path: r.path,
    type: TYPE_NAMES[r.type] ?? 'unknown',
    size: r.size,
    mtimeMs: r.mtimeMs,
    // Absent on lines of agents before nanosecond times (their mtimeMs is rounded, not floored).
    ...(r.mtimeNanos !== undefined ? { mtimeNanos: r.mtimeNanos } : {}),
    ctimeMs: r.ctimeMs,
    mode: r.mode,
    inode: r.inode,
    sha256: r.sha256.length ? Buffer.from(r.sha256).toString('hex') : null,
    symlinkTarget: r.symlinkTarget || null,
    locations: r.locations.map(locationJson),
    // Only on entries that have any (name -> base64 value, in the order read), so other lines read as before.
    // Hard links: only on files with more than one link (hard-links.ts), so other lines read as before.
    ...(r.linkCount > 1 ? { linkCount: r.linkCount } : {}),
    ...(r.hardLinkTo ? { hardLinkTo: r.hardLinkTo } : {}),
    ...(r.dataMap?.length ? { sparse: true, dataMap: pairs(r.dataMap) } : {}),
    // Only on devices: their major and minor numbers.
    ...(r.type === FileType.FILE_TYPE_CHAR_DEVICE || r.type === FileType.FILE_TYPE_BLOCK_DEVICE ? { rdev: [r.rdevMajor, r.rdevMinor] } : {}),
    ...(r.xattrs?.length ? { xattrs: Object.fromEntries(r.xattrs.map((x) => [x.name, Buffer.from(x.value).toString('base64')])) } : {}),
    // Ownership: numbers and the source host's names (absent on lines of agents before they were
    // recorded: unknown, not root). A name is left out when the number has none there.
    ...(r.uid !== undefined ? { uid: r.uid } : {}),
    ...(r.gid !== undefined ? { gid: r.gid } : {}),
    ...(r.owner ? { owner: r.owner } : {}),
    ...(r.group ? { group: r.group } : {}),
    // Only on deletion markers, so lines of tapes written before it read the same.
    ...(r.deleted ? { deleted: true } : {}),
    // Only on a file that changed while it was read (its bytes may mix the file's states).
    ...(r.changedDuringBackup ? { changed: true } : {}),
  });
}

/** The job header written before any data: with the manifests, enough to rebuild the runs. */
export interface JobHeader {
  v: 1;
  job: string;
  attempt: number;
  host: string;
  startedAt: string;
  runs: Array<{ id: string; root: string; level: 'FULL' | 'INCREMENTAL'; baseRunId: string | null }>;
  /** Every copy's tape (copy 1 first). */
  tapes: string[];
}

const TYPES_BY_NAME: Record<string, FileType> = Object.fromEntries(Object.entries(TYPE_NAMES).map(([k, v]) => [v, Number(k) as FileType]));

/** A manifest line back into the record the agent reported (the inverse of manifestLine). */
export function recordFromManifestLine(line: string): FileRecord {
  const o = JSON.parse(line) as Record<string, unknown>;
  const type = TYPES_BY_NAME[String(o.type)];
  if (type === undefined || typeof o.path !== 'string') throw new Error(`not a manifest record: ${line.slice(0, 200)}`);
  return {
    path: o.path,
    type,
    size: Number(o.size ?? 0),
    mtimeMs: Number(o.mtimeMs ?? 0),
    ...(o.mtimeNanos !== undefined ? { mtimeNanos: Number(o.mtimeNanos) } : {}),
    ctimeMs: Number(o.ctimeMs ?? 0),
    mode: Number(o.mode ?? 0),
    inode: Number(o.inode ?? 0),
    sha256: typeof o.sha256 === 'string' ? Buffer.from(o.sha256, 'hex') : Buffer.alloc(0),
    symlinkTarget: typeof o.symlinkTarget === 'string' ? o.symlinkTarget : '',
    locations: Array.isArray(o.locations) ? o.locations.map(locationFromJson) : [],
    xattrs: xattrsFromJson(o.xattrs),
    linkCount: Number(o.linkCount ?? 0),
    hardLinkTo: typeof o.hardLinkTo === 'string' ? o.hardLinkTo : '',
    dataMap: extentsFromJson(o.dataMap),
    rdevMajor: Array.isArray(o.rdev) ? Number(o.rdev[0]) : 0,
    rdevMinor: Array.isArray(o.rdev) ? Number(o.rdev[1]) : 0,
    ...(typeof o.uid === 'number' ? { uid: o.uid } : {}),
    ...(typeof o.gid === 'number' ? { gid: o.gid } : {}),
    owner: typeof o.owner === 'string' ? o.owner : '',
    group: typeof o.group === 'string' ? o.group : '',
    deleted: o.deleted === true || (o.deleted === undefined && isOlderDeletionMarker(o)),
    changedDuringBackup: o.changed === true,
  };
}

function xattrsFromJson(x: unknown): ExtendedAttribute[] {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return [];
  return Object.entries(x as Record<string, unknown>).map(([name, value]) => ({ name, value: Buffer.from(String(value), 'base64') }));
}

function locationFromJson(l: unknown): TapeLocation {
  const { segmentSha256, dataMap, ...rest } = (l ?? {}) as Record<string, unknown>;
  const location = { ...TapeLocation.fromJSON(rest), dataMap: extentsFromJson(dataMap) };
  return typeof segmentSha256 === 'string' ? { ...location, segmentSha256: Buffer.from(segmentSha256, 'hex') } : location;
}

/**
 * Lines written before deletion markers carried `deleted` still tell them apart: a marker is the
 * only record with ctime and inode 0 (a scanned entry always has a ctime), no size, no location and
 * no hash. Lines that predate ctime altogether cannot tell, and read as live entries.
 */
function isOlderDeletionMarker(o: Record<string, unknown>): boolean {
  return o.ctimeMs === 0 && o.inode === 0 && Number(o.size ?? 0) === 0 && o.sha256 === null && (!Array.isArray(o.locations) || o.locations.length === 0);
}

/** Where confirmed batches go (the job's reporter): each batch, once its manifest is on tape. */
export interface BatchReporter {
  files(batchSeq: number, files: FileRecord[], manifestPath: string): Promise<void>;
}

export class Checkpointer {
  private pending: FileRecord[] = [];
  private pendingBytes = 0;
  private seq = 0;
  reportedFiles = 0;

  constructor(
    /** Where manifests go: the tape, or every copy of it (copy-volumes.ts). */
    private readonly volume: Pick<MountedVolume, 'createWriteStream' | 'sync'>,
    private readonly reporter: BatchReporter,
    private readonly job: { jobId: string; attempt: number; host: string },
    readonly limits: CheckpointLimits,
  ) {}

  add(record: FileRecord): void {
    this.pending.push(record);
    this.pendingBytes += record.size;
  }

  get due(): boolean {
    return this.pending.length >= this.limits.files || this.pendingBytes >= this.limits.bytes;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const seq = ++this.seq;
    const batch = this.pending;
    const path = manifestPath(this.job.jobId, this.job.attempt, seq);
    const body = Buffer.from(batch.map((r) => manifestLine(this.job, r)).join('\n') + '\n');
    await pipeline(Readable.from([body]), await this.volume.createWriteStream(path));
    await this.volume.sync();
    await this.reporter.files(seq, batch, path);
    this.reportedFiles += batch.length;
    this.pending = [];
    this.pendingBytes = 0;
  }
}
