// Turns one batch of agent file records into the column arrays the bulk ingest statements UNNEST:
// validates every record (a bad one rejects the whole batch, so nothing half-lands), assigns each
// record to its run, derives every directory the batch needs, and de-duplicates contents and
// placements. Pure: no I/O, so it is unit-tested without a database.
import { FileType as ProtoFileType, type FileRecord, type TapeLocation } from '@ferrite/proto';
import { FilesErrorCode, filesError } from './files.errors.js';
import { attributesProblem, encodeAttributes } from './version-attributes.js';
import { dataMapProblem, encodeDataMap } from './data-map.js';
import { OwnerNameCollector, ownershipProblem, storedOwnerNumber, type OwnerNames } from './ownership.js';
import { baseName, isUnderOrEqual, parentPath, pathProblem, ROOT, stripTrailingSlashes } from './paths.js';

/** SHA-256 of zero bytes: the content every empty file shares. */
export const EMPTY_SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface RunRoot {
  id: string;
  root: string;
}

export type DbFileType = 'FILE' | 'DIRECTORY' | 'SYMLINK' | 'FIFO' | 'CHAR_DEVICE' | 'BLOCK_DEVICE';

/** Column arrays, index-aligned, ready for `unnest($1::text[], ...)`. */
export interface IngestPlan {
  /** Every directory the batch needs (ancestors of each path, and each directory record itself),
   *  sorted so a parent always precedes its children. */
  directories: { paths: string[]; names: string[]; parents: Array<string | null> };
  versions: {
    dirPaths: string[];
    names: string[];
    types: DbFileType[];
    sizes: number[];
    mtimesMs: number[];
    /** Nanoseconds within mtimesMs; null where the agent sent none (it rounded the time). */
    mtimeNanos: Array<number | null>;
    ctimesMs: Array<number | null>;
    inodes: Array<number | null>;
    modes: number[];
    /** SHA-256 of each file's content (32 bytes); null for directories, symlinks and deletions. */
    shas: Array<Buffer | null>;
    symlinkTargets: Array<string | null>;
    runIds: string[];
    /** Deletion markers: the entry was in the base run and is gone. */
    deleted: boolean[];
    /** JSON text of each version's further attributes (version-attributes.ts); null for none. */
    attributes: Array<string | null>;
    /** Owner and group numbers as stored (ownership.ts); null where the agent sent none. */
    uids: Array<number | null>;
    gids: Array<number | null>;
  };
  /** The names the batch gives its owner and group numbers (the host's owner_name rows). */
  ownerNames: OwnerNames;
  /** Contents that non-empty files refer to without a location of their own (unchanged files and
   *  dedup): the repository checks that each is already on tape. Sorted, distinct. */
  references: string[];
  placements: {
    shas: Buffer[];
    barcodes: string[];
    partitions: string[];
    startBlocks: number[];
    containerPaths: string[];
    offsets: number[];
    lengths: number[];
    segments: number[];
    fileOffsets: number[];
    /** Which copy of the pool (1..3); 1 when the agent sent none. */
    copies: number[];
    /** SHA-256 of the segment's bytes (32 bytes) for a file spanning tapes; null for a content in
     *  one piece (or a segment an older agent sent without one). */
    segmentShas: Array<Buffer | null>;
    /** The extents a sparse file's object holds (data-map.ts JSON); null for every other object. */
    dataMaps: Array<string | null>;
  };
  /** Distinct tape barcodes the placements name. */
  barcodes: string[];
}

const PROTO_TO_DB: Partial<Record<ProtoFileType, DbFileType>> = {
  [ProtoFileType.FILE_TYPE_FILE]: 'FILE',
  [ProtoFileType.FILE_TYPE_DIRECTORY]: 'DIRECTORY',
  [ProtoFileType.FILE_TYPE_SYMLINK]: 'SYMLINK',
  [ProtoFileType.FILE_TYPE_FIFO]: 'FIFO',
  [ProtoFileType.FILE_TYPE_CHAR_DEVICE]: 'CHAR_DEVICE',
  [ProtoFileType.FILE_TYPE_BLOCK_DEVICE]: 'BLOCK_DEVICE',
};

const INT4_MAX = 2_147_483_647;

/** The run whose root is the longest component-wise prefix of `path`, or undefined. */
export function runForPath(path: string, runs: readonly RunRoot[]): RunRoot | undefined {
  let best: RunRoot | undefined;
  for (const run of runs) {
    if (isUnderOrEqual(path, run.root) && (!best || run.root.length > best.root.length)) best = run;
  }
  return best;
}

// Milliseconds since 1970 that both JavaScript dates and PostgreSQL timestamps hold (4713 BC .. 275760 AD).
const MIN_TIME_MS = -210_866_760_000_000;
const MAX_TIME_MS = 8_640_000_000_000_000;

function isTimeMs(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= MIN_TIME_MS && n <= MAX_TIME_MS;
}

function isNanosWithinMs(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 1_000_000;
}

/** A refused value as the error message shows it (whatever type it arrived as). */
function shown(v: unknown): string {
  return typeof v === 'number' || typeof v === 'bigint' ? String(v) : (JSON.stringify(v) ?? 'undefined');
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

// One function on purpose: this loop runs for every record the catalog ingests (the ingest
// benchmark measures it), and splitting it would add a call and an object per record.
// eslint-disable-next-line max-lines-per-function -- the ingest hot loop, see above
export function planIngest(records: readonly FileRecord[], runs: readonly RunRoot[], jobId: string): IngestPlan {
  // A declared function (not an arrow) so TypeScript narrows after `if (...) reject(...)`.
  function reject(index: number, record: FileRecord, problem: string): never {
    throw filesError(
      FilesErrorCode.INVALID_RECORD,
      `file record ${index} (${JSON.stringify(record.path)}) was rejected: ${problem}; nothing from this batch was stored`,
      { index, path: record.path },
    );
  }

  // This loop runs for every record of every batch: one pass, no per-record objects, and the
  // parent directory string of the previous record reused when records share it (they usually do).
  const plan = emptyPlan();
  const v = plan.versions;
  const p = plan.placements;
  const rowOfPath = new Map<string, number>();
  const dirSet = new Set<string>();
  // Locations already planned per content (keyed by the hash's bytes as a latin1 string, cheaper
  // than hex), consulted only when a content repeats in the batch.
  const locationsBySha = new Map<string, TapeLocation[]>();
  const barcodes = new Set<string>();
  /** Contents (latin1 keys, as locationsBySha) that non-empty files name without a location. */
  const references = new Set<string>();
  /** Contents (latin1 keys, as locationsBySha) that this batch gives a location. */
  const placed = new Set<string>();
  let lastDir: string | null = null;
  const ownerNames = new OwnerNameCollector();

  const addWithAncestors = (dir: string | null) => {
    while (dir !== null && !dirSet.has(dir)) {
      dirSet.add(dir);
      dir = parentPath(dir);
    }
  };

  for (let index = 0; index < records.length; index++) {
    const record = records[index];
    const problem = pathProblem(record.path);
    if (problem) reject(index, record, problem);
    const path = stripTrailingSlashes(record.path);
    const type = PROTO_TO_DB[record.type];
    if (!type) reject(index, record, `unknown file type ${record.type}`);
    if (!isCount(record.size)) reject(index, record, `size ${shown(record.size)} is not a non-negative integer`);
    if (!isTimeMs(record.mtimeMs)) reject(index, record, `mtime_ms ${shown(record.mtimeMs)} is not a time the catalog can hold`);
    if (!isTimeMs(record.ctimeMs)) reject(index, record, `ctime_ms ${shown(record.ctimeMs)} is not a time the catalog can hold`);
    if (record.mtimeNanos !== undefined && !isNanosWithinMs(record.mtimeNanos))
      reject(index, record, `mtime_nanos ${shown(record.mtimeNanos)} is not 0..999999`);
    if (!isCount(record.inode)) reject(index, record, 'inode is not a non-negative integer');
    if (!isCount(record.mode) || record.mode > INT4_MAX) reject(index, record, `mode ${record.mode} is out of range`);
    const attributes = attributesProblem(record);
    if (attributes) reject(index, record, attributes);
    const ownership = ownershipProblem(record);
    if (ownership) reject(index, record, ownership);
    const shaBytes = record.sha256 ?? EMPTY_BYTES;
    const locations = record.locations ?? NO_LOCATIONS;
    let sha: Buffer | null = null;
    const deleted = record.deleted === true;
    if (deleted) {
      if (shaBytes.length !== 0 || locations.length !== 0) reject(index, record, 'a deletion marker carries no sha256 and no location');
    } else if (type === 'FILE') {
      if (shaBytes.length === 32) sha = asBuffer(shaBytes);
      else if (shaBytes.length === 0 && record.size === 0) sha = EMPTY_SHA256;
      else reject(index, record, `a file needs a 32-byte sha256, got ${shaBytes.length} bytes`);
      // A non-empty file without a location of its own refers to a content already on tape.
      if (record.size > 0 && locations.length === 0) references.add(sha.toString('latin1'));
      for (let i = 0; i < locations.length; i++) {
        const bad = locationProblem(locations[i]) ?? (locations[i].dataMap?.length ? dataMapProblem(locations[i].dataMap, record.size) : null);
        if (bad) reject(index, record, `location ${i}: ${bad}`);
      }
    } else {
      if (shaBytes.length !== 0) reject(index, record, `a ${type.toLowerCase().replace('_', ' ')} carries no sha256`);
      if (locations.length !== 0) reject(index, record, `a ${type.toLowerCase()} has no location on tape`);
      if (type === 'SYMLINK' && !record.symlinkTarget) reject(index, record, 'a symlink needs its target');
    }
    const run = runs.length === 1 && isUnderOrEqual(path, runs[0].root) ? runs[0] : runForPath(path, runs);
    if (!run) {
      reject(
        index,
        record,
        `the path lies outside every root of job ${jobId} (${runs.map((r) => JSON.stringify(r.root)).join(', ') || 'the job has no runs'})`,
      );
    }

    // The root entry is filed under the root directory itself with the name "".
    const slash = path.lastIndexOf('/');
    let dir: string;
    if (path === ROOT) dir = ROOT;
    else if (lastDir !== null && slash === (lastDir === ROOT ? 0 : lastDir.length) && path.startsWith(lastDir)) dir = lastDir;
    else dir = slash === 0 ? ROOT : path.slice(0, slash);
    if (dir !== lastDir) {
      addWithAncestors(dir);
      lastDir = dir;
    }
    if (type === 'DIRECTORY') addWithAncestors(path);

    // Last record wins when a batch names one path twice, so one row per (run, path) is written.
    let row = rowOfPath.get(path);
    if (row === undefined) {
      row = v.names.length;
      rowOfPath.set(path, row);
    }
    v.dirPaths[row] = dir;
    v.names[row] = path === ROOT ? '' : path.slice(slash + 1);
    v.types[row] = type;
    v.sizes[row] = deleted ? 0 : record.size;
    v.mtimesMs[row] = record.mtimeMs;
    v.mtimeNanos[row] = record.mtimeNanos ?? null;
    v.ctimesMs[row] = record.ctimeMs ? record.ctimeMs : null;
    v.inodes[row] = record.inode ? record.inode : null;
    v.modes[row] = record.mode;
    v.shas[row] = sha;
    v.symlinkTargets[row] = type === 'SYMLINK' && !deleted ? record.symlinkTarget : null;
    v.runIds[row] = run.id;
    v.deleted[row] = deleted;
    v.attributes[row] = deleted ? null : encodeAttributes(record);
    v.uids[row] = deleted ? null : storedOwnerNumber(record.uid);
    v.gids[row] = deleted ? null : storedOwnerNumber(record.gid);
    if (!deleted) ownerNames.add(record);
    if (sha === null) continue;

    // Contents and placements are facts about the tape: kept even when a later record of the
    // same path replaces this version.
    const shaKey = sha.toString('latin1');
    let seen = locationsBySha.get(shaKey);
    if (!seen) {
      locationsBySha.set(shaKey, locations);
    } else {
      // Copy before appending: the list may be the first record's own locations array.
      seen = [...seen];
      locationsBySha.set(shaKey, seen);
    }
    for (const loc of locations) {
      if (seen) {
        if (seen.some((o) => o.barcode === loc.barcode && o.segment === loc.segment && o.startBlock === loc.startBlock && o.offset === loc.offset)) continue;
        seen.push(loc);
      }
      barcodes.add(loc.barcode);
      placed.add(shaKey);
      p.shas.push(sha);
      p.barcodes.push(loc.barcode);
      p.partitions.push(loc.partition);
      p.startBlocks.push(loc.startBlock);
      p.containerPaths.push(loc.containerPath);
      p.offsets.push(loc.offset);
      p.lengths.push(loc.length);
      p.segments.push(loc.segment);
      p.fileOffsets.push(loc.fileOffset);
      p.copies.push(loc.copy || 1);
      p.segmentShas.push(loc.segmentSha256?.length ? asBuffer(loc.segmentSha256) : null);
      p.dataMaps.push(encodeDataMap(loc.dataMap));
    }
  }

  // A fixed order for inserts into unique indexes keeps concurrent batches from deadlocking.
  for (const dir of [...dirSet].sort(compareCodeUnits)) {
    plan.directories.paths.push(dir);
    plan.directories.names.push(baseName(dir));
    plan.directories.parents.push(parentPath(dir));
  }
  plan.barcodes = [...barcodes].sort();
  plan.ownerNames = ownerNames.finish();
  // A content the batch itself places needs no earlier copy.
  plan.references = [...references]
    .filter((key) => !placed.has(key))
    .map((key) => Buffer.from(key, 'latin1').toString('hex'))
    .sort();
  return plan;
}

const EMPTY_BYTES = Buffer.alloc(0);
const EMPTY_SHA256 = Buffer.from(EMPTY_SHA256_HEX, 'hex');
const NO_LOCATIONS: TapeLocation[] = [];

function emptyPlan(): IngestPlan {
  return {
    directories: { paths: [], names: [], parents: [] },
    versions: {
      dirPaths: [],
      names: [],
      types: [],
      sizes: [],
      mtimesMs: [],
      mtimeNanos: [],
      ctimesMs: [],
      inodes: [],
      modes: [],
      shas: [],
      symlinkTargets: [],
      runIds: [],
      deleted: [],
      attributes: [],
      uids: [],
      gids: [],
    },
    ownerNames: { kinds: [], numbers: [], names: [] },
    references: [],
    placements: {
      shas: [],
      barcodes: [],
      partitions: [],
      startBlocks: [],
      containerPaths: [],
      offsets: [],
      lengths: [],
      segments: [],
      fileOffsets: [],
      copies: [],
      segmentShas: [],
      dataMaps: [],
    },
    barcodes: [],
  };
}

/** The bytes as a Buffer, without copying (ts-proto hands out Buffers; plain Uint8Arrays work too). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function locationProblem(loc: TapeLocation): string | null {
  if (!loc.barcode) return 'the tape barcode is empty';
  const part = loc.partition;
  if (typeof part !== 'string' || part.length === 0 || part.length > 2 || (part.length === 2 && Array.from(part).length !== 1)) {
    return `partition ${JSON.stringify(part)} is not one character`;
  }
  if (!loc.containerPath) return 'the container path is empty';
  if (!isCount(loc.startBlock)) return `startBlock ${shown(loc.startBlock)} is not a non-negative integer`;
  if (!isCount(loc.offset)) return `offset ${shown(loc.offset)} is not a non-negative integer`;
  if (!isCount(loc.length)) return `length ${shown(loc.length)} is not a non-negative integer`;
  if (!isCount(loc.fileOffset)) return `fileOffset ${shown(loc.fileOffset)} is not a non-negative integer`;
  if (!isCount(loc.segment) || loc.segment > INT4_MAX) return `segment ${loc.segment} is out of range`;
  // Optional: a segment of a file spanning tapes carries its own SHA-256, anything else none (empty).
  const segmentSha = loc.segmentSha256 as unknown;
  if (segmentSha !== undefined && segmentSha !== null) {
    if (!(segmentSha instanceof Uint8Array)) return `segmentSha256 ${shown(segmentSha)} is not bytes`;
    if (segmentSha.length !== 0 && segmentSha.length !== 32) return `segmentSha256 must be 32 bytes, got ${segmentSha.length}`;
  }
  return null;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
