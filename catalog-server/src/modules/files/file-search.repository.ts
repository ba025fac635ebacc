// Reads of the file index: filtered search with keyset pagination, the versions of one path, the
// placements of contents, and the rows a restore selection covers. Every filter becomes a bound
// parameter; names and paths never reach the SQL text.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';
import { cursorPages, queryRows, type SqlQuery } from './sql-runner.js';
import { FilesErrorCode, filesError } from './files.errors.js';
import type { DbFileType } from './ingest-plan.js';
import type { GlobMatcher } from './glob.js';
import { baseName, escapeLike, joinPath, parentPath, ROOT } from './paths.js';
import { CONTENT_BUCKET_SHIFT } from './content-buckets.js';
import { decodeAttributes, type VersionAttributes } from './version-attributes.js';
import { runNumOf, SqlParams as Params, VERSION_ROW_COLUMNS } from './run-state.js';
import { ownerNumberOf, type VersionOwnership } from './ownership.js';

/** A validated filter with names already resolved to ids. */
export interface FileSearchQuery {
  name?: GlobMatcher & { caseInsensitive: boolean };
  hostId?: number;
  pathPrefix?: string;
  mtimeFrom?: Date;
  mtimeTo?: Date;
  archivedFrom?: Date;
  archivedTo?: Date;
  sizeMin?: number;
  sizeMax?: number;
  maxCopies?: number;
  sha256Hex?: string;
  tapeId?: string;
  runId?: string;
  type?: DbFileType;
  includeDeleted: boolean;
}

export interface FileVersionRow {
  id: string;
  host: string;
  dirPath: string;
  name: string;
  type: DbFileType;
  size: number;
  /** Floored to the millisecond; mtimeNanos holds the rest (null: recorded rounded, before nanosecond times). */
  mtime: Date;
  mtimeNanos: number | null;
  /** Extended attributes, ACLs and the like (version-attributes.ts); empty for most versions. */
  attributes: VersionAttributes;
  /** Owner and group (all null for a version recorded before the catalog kept them). */
  ownership: VersionOwnership;
  mode: number;
  sha256: Buffer | null;
  symlinkTarget: string | null;
  runId: string;
  jobId: string;
  archivedAt: Date;
  deleted: boolean;
  contentId: string | null;
}

export interface PlacementRow {
  contentId: string;
  barcode: string;
  partition: string;
  startBlock: number;
  containerPath: string;
  offset: number;
  length: number;
  segment: number;
  fileOffset: number;
  copy: number;
  jobId: string;
  /** SHA-256 of this segment's bytes for a file spanning tapes; null for a content in one piece
   *  (and for segments written before segment hashes existed). */
  segmentSha256: Buffer | null;
  /** A sparse file's object: the extents it holds, packed (JSON [[offset, length], ...]); null otherwise. */
  dataMap?: string | null;
}

export const VERSION_COLUMNS = `
  fv.id::text AS id, h.name AS host, d.path AS dir_path, n.name, fv.type::text AS type, fv.size::float8 AS size,
  fv.mtime, fv.mtime_nanos, fv.attrs, fv.mode, c.sha256, NULLIF(fv.symlink_target, '') AS symlink_target, r.id::text AS run_id, r.job_id::text AS job_id,
  r.started_at AS archived_at, fv.deleted, fv.content_id::text AS content_id, fv.uid, fv.gid,
  (SELECT o.name FROM owner_name o WHERE o.host_id = d.host_id AND o.kind = 'USER' AND o.number = fv.uid) AS owner_name,
  (SELECT o.name FROM owner_name o WHERE o.host_id = d.host_id AND o.kind = 'GROUP' AND o.number = fv.gid) AS group_name`;

export const VERSION_FROM = `
  FROM file_version fv
  JOIN file_name n ON n.id = fv.name_id
  JOIN directory d ON d.id = fv.directory_id
  JOIN host h ON h.id = d.host_id
  JOIN run r ON r.num = fv.run_num
  LEFT JOIN content c ON c.id = fv.content_id`;

export interface RawVersion {
  id: string;
  host: string;
  dir_path: string;
  name: string;
  type: DbFileType;
  size: number;
  mtime: Date;
  mtime_nanos: number | null;
  attrs: string | null;
  mode: number;
  sha256: Buffer | null;
  symlink_target: string | null;
  run_id: string;
  job_id: string | null;
  archived_at: Date;
  deleted: boolean;
  content_id: string | null;
  uid: number | null;
  gid: number | null;
  owner_name: string | null;
  group_name: string | null;
}

export function toVersion(r: RawVersion): FileVersionRow {
  return {
    id: r.id,
    host: r.host,
    dirPath: r.dir_path,
    name: r.name,
    type: r.type,
    size: r.size,
    mtime: r.mtime,
    mtimeNanos: r.mtime_nanos,
    attributes: decodeAttributes(r.attrs),
    ownership: { uid: ownerNumberOf(r.uid), gid: ownerNumberOf(r.gid), owner: r.owner_name, group: r.group_name },
    mode: r.mode,
    sha256: r.sha256,
    symlinkTarget: r.symlink_target,
    runId: r.run_id,
    jobId: r.job_id ?? '',
    archivedAt: r.archived_at,
    deleted: r.deleted,
    contentId: r.content_id,
  };
}

/** Entries at `prefix` or below it, by whole components. The entry `prefix` itself is filed under
 *  its parent directory, hence the second branch. */
/** Distinct usable tapes holding the start of a version's content: its number of copies. */
export const COPIES_OF_VERSION = `(SELECT count(DISTINCT pl.tape_id) FROM placement pl JOIN tape t ON t.id = pl.tape_id
    WHERE pl.content_id = fv.content_id AND pl.segment = 0 AND t.state NOT IN ('SUSPECT', 'RETIRED'))`;

export function prefixCondition(prefix: string, hostId: number | undefined, p: Params): string {
  if (prefix === ROOT) return 'TRUE';
  const host = hostId === undefined ? '' : `host_id = ${p.add(hostId)} AND `;
  const inside = `fv.directory_id IN (SELECT id FROM directory WHERE ${host}(path = ${p.add(prefix)} OR path LIKE ${p.add(`${escapeLike(prefix)}/%`)} ESCAPE '\\'))`;
  const itself = `(fv.name_id = (SELECT id FROM file_name WHERE name = ${p.add(baseName(prefix))}) AND fv.directory_id IN (SELECT id FROM directory WHERE ${host}path = ${p.add(parentPath(prefix))}))`;
  return `(${inside} OR ${itself})`;
}

/** A modified range of at most this many days also selects blocks through their mtime days (GIN);
 *  a wider or open range is tested per version only. */
const MAX_INDEXED_DAYS = 400;
const DAY_MS = 86_400_000;

/** Whether a glob matches, or a tape holds, more than `FileSearchRepository.maxBlockKeys` names or
 *  contents. Those are not looked up one by one in the block GIN indexes (one lookup per key, ~25
 *  us, would cost more than walking on): such a glob is tested on each version's name
 *  (NAME_PER_ROW), such a tape's blocks are found through its content buckets. */
interface BlockKeys {
  manyNames: boolean;
  manyContents: boolean;
}
const FEW_KEYS: BlockKeys = { manyNames: false, manyContents: false };

/** `column` matched against the glob, LIKE or regex as it was translated. */
function nameMatch(name: NonNullable<FileSearchQuery['name']>, column: string, p: Params): string {
  const op = name.kind === 'like' ? (name.caseInsensitive ? 'ILIKE' : 'LIKE') : name.caseInsensitive ? '~*' : '~';
  return `${column} ${op} ${p.add(name.pattern)}${name.kind === 'like' ? ` ESCAPE '\\'` : ''}`;
}

/** The ids of the names a glob matches (trigram index on file_name). */
const nameIds = (name: NonNullable<FileSearchQuery['name']>, p: Params) => `SELECT id FROM file_name WHERE ${nameMatch(name, 'name', p)}`;

const tapeContents = (tapeId: string, p: Params) => `SELECT pl.content_id FROM placement pl WHERE pl.tape_id = ${p.add(tapeId)}::uuid`;

/** The content buckets (see content-buckets.ts) of the contents on a tape. */
const tapeBuckets = (tapeId: string, p: Params) =>
  `SELECT DISTINCT pl.content_id >> ${CONTENT_BUCKET_SHIFT} FROM placement pl WHERE pl.tape_id = ${p.add(tapeId)}::uuid`;

/** How many names and tape contents the filter has, each counted up to `cap`. */
function keyCounts(q: FileSearchQuery, p: Params, cap: number): string {
  const capped = (sql: string) => `(SELECT count(*)::int FROM (${sql} LIMIT ${p.add(cap)}) k)`;
  return `SELECT ${q.name ? capped(nameIds(q.name, p)) : '0'} AS name_keys, ${q.tapeId ? capped(tapeContents(q.tapeId, p)) : '0'} AS tape_keys`;
}

/** The join to file_name when a glob matches many names: one primary-key probe per version and the
 *  pattern tested on its name (OFFSET 0 keeps the planner from turning it back into a join that
 *  first collects every matching name: 87,000 names, 170 ms, for `*.mov` at 10 million versions). */
const NAME_PER_ROW = 'CROSS JOIN LATERAL (SELECT name FROM file_name WHERE id = fv.name_id OFFSET 0) n';

/** VERSION_FROM over `source` (the view, or a window of it), with NAME_PER_ROW for many names. */
function versionFrom(keys: BlockKeys, source = 'file_version'): string {
  const from = VERSION_FROM.replace('FROM file_version fv', `FROM ${source} fv`);
  return keys.manyNames ? from.replace('JOIN file_name n ON n.id = fv.name_id', NAME_PER_ROW) : from;
}

/** The filter as conditions on each version (`fv`, its directory `d`, its name `n`). */
function whereClause(q: FileSearchQuery, p: Params, keys: BlockKeys = FEW_KEYS): string {
  const conds: string[] = [];
  if (!q.includeDeleted) conds.push('NOT fv.deleted');
  if (q.hostId !== undefined) conds.push(`d.host_id = ${p.add(q.hostId)}`);
  if (q.pathPrefix !== undefined && q.pathPrefix !== ROOT) conds.push(prefixCondition(q.pathPrefix, q.hostId, p));
  // Many names: tested on each version's name (NAME_PER_ROW). Few: matched against the distinct
  // names (trigram index on file_name), then versions by name id.
  if (q.name) conds.push(keys.manyNames ? nameMatch(q.name, 'n.name', p) : `fv.name_id IN (${nameIds(q.name, p)})`);
  if (q.mtimeFrom) conds.push(`fv.mtime >= ${p.add(q.mtimeFrom)}`);
  if (q.mtimeTo) conds.push(`fv.mtime < ${p.add(q.mtimeTo)}`);
  // A version is archived when its run is (run.started_at): the runs in range, then their versions.
  if (q.archivedFrom || q.archivedTo) {
    const range = [q.archivedFrom ? `started_at >= ${p.add(q.archivedFrom)}` : '', q.archivedTo ? `started_at < ${p.add(q.archivedTo)}` : ''];
    conds.push(`fv.run_num IN (SELECT num FROM run WHERE ${range.filter(Boolean).join(' AND ')})`);
  }
  if (q.sizeMin !== undefined) conds.push(`fv.size >= ${p.add(q.sizeMin)}`);
  if (q.sizeMax !== undefined) conds.push(`fv.size <= ${p.add(q.sizeMax)}`);
  if (q.sha256Hex) conds.push(`fv.content_id = (SELECT id FROM content WHERE sha256 = decode(${p.add(q.sha256Hex)}, 'hex'))`);
  // IN (hashed) is the cheap per-row test for a walk in archive order.
  if (q.tapeId) conds.push(`fv.content_id IN (${tapeContents(q.tapeId, p)})`);
  if (q.maxCopies !== undefined) conds.push(`fv.type = 'FILE' AND fv.size > 0 AND ${COPIES_OF_VERSION} <= ${p.add(q.maxCopies)}`);
  if (q.runId) conds.push(`fv.run_num = ${runNumOf(p.add(q.runId))}`);
  if (q.type) conds.push(`fv.type = ${p.add(q.type)}::"FileType"`);
  return conds.length ? conds.join(' AND ') : 'TRUE';
}

/** The conditions of the filter that the block arrays can state too (`block_*` columns of the
 *  view), so that a gather can start from the GIN indexes of version_block: names, contents (a
 *  SHA-256 or a tape) and, for a range of at most MAX_INDEXED_DAYS, mtime days. Each is implied by
 *  the per-version conditions of whereClause and only narrows the blocks looked at. */
function blockConditions(q: FileSearchQuery, p: Params, keys: BlockKeys): string[] {
  const conds: string[] = [];
  if (q.name && !keys.manyNames) conds.push(`fv.block_name_ids && ARRAY(${nameIds(q.name, p)})`);
  if (q.mtimeFrom && q.mtimeTo && q.mtimeTo.getTime() - q.mtimeFrom.getTime() <= MAX_INDEXED_DAYS * DAY_MS) {
    // The UTC days the range touches; a block with none of them has no version in the range.
    const day = (d: Date) => `(${p.add(d)}::timestamptz AT TIME ZONE 'UTC')::date`;
    conds.push(`fv.block_mtime_days && ARRAY(SELECT generate_series(${day(q.mtimeFrom)}, ${day(new Date(q.mtimeTo.getTime() - 1))}, interval '1 day')::date)`);
  }
  if (q.sha256Hex) conds.push(`fv.block_content_ids @> ARRAY[(SELECT id FROM content WHERE sha256 = decode(${p.add(q.sha256Hex)}, 'hex'))]`);
  // A tape of many contents: its blocks through the contents' buckets (a few lookups per range of
  // 1,024 content ids instead of one per content); whereClause then tests each version's content.
  if (q.tapeId) {
    conds.push(
      keys.manyContents ? `fv.block_content_buckets && ARRAY(${tapeBuckets(q.tapeId, p)})` : `fv.block_content_ids && ARRAY(${tapeContents(q.tapeId, p)})`,
    );
  }
  return conds;
}

/** Whether the tape's content buckets are the only block condition of the filter. */
function onlyTapeBuckets(q: FileSearchQuery, keys: BlockKeys): boolean {
  return q.tapeId !== undefined && keys.manyContents && blockConditions({ ...q, tapeId: undefined }, new Params(), keys).length === 0;
}

/** A modified range of at most NARROW_MTIME_DAYS days. */
const NARROW_MTIME_DAYS = 31;
function narrowMtimeRange(q: FileSearchQuery): boolean {
  return q.mtimeFrom !== undefined && q.mtimeTo !== undefined && q.mtimeTo.getTime() - q.mtimeFrom.getTime() <= NARROW_MTIME_DAYS * DAY_MS;
}

/** Versions after the one with id `afterId` (bound at `placeholder`): the block condition lets the
 *  scan start at the cursor's block (a version id is block id * 65536 + position). */
export function afterCondition(placeholder: string): string {
  return `fv.block_id >= (${placeholder}::bigint >> 16) AND fv.id > ${placeholder}::bigint`;
}

/** Selecting millions of entries for a restore is one long sort, not an interactive query. */
const SELECTION_STATEMENT_TIMEOUT = '15min';

/** Every live version a run recorded. */
export function runVersionsQuery(runId: string): SqlQuery {
  return { sql: `SELECT ${VERSION_COLUMNS} ${VERSION_FROM} WHERE fv.run_num = ${runNumOf('$1')} AND NOT fv.deleted`, values: [runId] };
}

/** Each content with data a run recorded, once, with one path that uses it: what a run verify reads. */
export function runContentsQuery(runId: string): SqlQuery {
  return {
    sql: `SELECT DISTINCT ON (fv.content_id) fv.content_id::text AS content_id, d.path AS dir_path, n.name
        FROM file_version fv JOIN file_name n ON n.id = fv.name_id JOIN directory d ON d.id = fv.directory_id
       WHERE fv.run_num = ${runNumOf('$1')} AND NOT fv.deleted AND fv.type = 'FILE' AND fv.size > 0 AND fv.content_id IS NOT NULL
       ORDER BY fv.content_id, fv.id`,
    values: [runId],
  };
}

/** The newest version of every entry at or under `prefix` on one host, unless it is a deletion marker. */
export function latestUnderQuery(hostId: number, prefix: string): SqlQuery {
  const p = new Params();
  const cond = prefixCondition(prefix, hostId, p);
  return {
    sql: `SELECT * FROM (SELECT DISTINCT ON (fv.directory_id, fv.name_id) ${VERSION_COLUMNS} ${VERSION_FROM}
        WHERE d.host_id = ${p.add(hostId)} AND ${cond}
        ORDER BY fv.directory_id, fv.name_id, r.started_at DESC, fv.id DESC) latest WHERE NOT latest.deleted`,
    values: p.values,
  };
}

@Injectable()
export class FileSearchRepository {
  constructor(private readonly db: PrismaService) {}

  private query<T extends object>(action: string, sql: string, values: unknown[]): Promise<T[]> {
    return queryRows<T>(this.db.pool, action, sql, values);
  }

  /**
   * Versions, in archive order, looked at before the planner is asked. "The first N matches by id"
   * has two good plans: walk the ids and test each row (fast when matches are dense), or gather
   * every match through an index and sort (fast when they are few). The planner chooses by
   * estimates that are often far off here: names repeat very unevenly, matches cluster in id order
   * (one run, one tape), host and mtime correlate. So the walk is tried first on bounded windows,
   * which cost milliseconds and are exact when they find a full page; only a sparse filter goes on
   * to the planner's choice (block indexes: GIN on names, contents, mtime days), with the windows'
   * matches already in hand. Each version of a window is unnested from its block (~1.4 us each).
   * The first, small window tests each version's name directly (a primary-key probe each): a
   * dense glob (`*.mov`) fills its page there without collecting the tens of thousands of names it
   * matches. The second fills a page for mid-density names (`*2024*`, `*.JPG` with a narrow size
   * range) that would cost hundreds of GIN lookups to gather; it collects the matching names
   * unless there are more than maxBlockKeys.
   */
  scanWindows = [2_000, 20_000];

  /** One page in archive order (ascending id), starting after `afterId`. */
  async search(q: FileSearchQuery, afterId: string | undefined, limit: number): Promise<FileVersionRow[]> {
    // One content: its versions are a handful, found through its blocks without a walk. A modified
    // range of a month or less is sparse in archive order (files modified in one month are spread
    // over every run since) and its blocks are found by their mtime days: no walk either.
    if (q.sha256Hex || narrowMtimeRange(q)) return this.gather(q, afterId, limit, await this.blockKeys(q));
    const found: FileVersionRow[] = [];
    let cursor = afterId;
    // The first window tests names per version; later steps need the counts.
    let counted: BlockKeys | undefined;
    for (const [i, size] of this.scanWindows.entries()) {
      const keys = i === 0 ? { ...FEW_KEYS, manyNames: true } : (counted ??= await this.blockKeys(q));
      const w = await this.window(q, cursor, limit - found.length, size, keys);
      found.push(...w.rows);
      if (found.length >= limit || w.end === null || w.seen < size) return found;
      cursor = w.end;
    }
    const keys = counted ?? (await this.blockKeys(q));
    const rest = onlyTapeBuckets(q, keys)
      ? await this.gatherTapeBlocks(q, cursor, limit - found.length, keys)
      : await this.gather(q, cursor, limit - found.length, keys);
    return [...found, ...rest];
  }

  /** Candidate blocks a tape-walk reads first; each further step reads four times as many. */
  firstBlockChunk = 16;

  /**
   * A tape of many contents with nothing else a block index can narrow: its candidate blocks (those
   * with a content bucket of the tape) are listed in archive order and walked chunk by chunk (each
   * in order, stopping at a full page). Gathering every candidate before sorting would unnest them
   * all: a tape of 40,000 contents at 10 million versions shares its buckets with a quarter of the
   * blocks (5 s), while its first page usually lies in the first few of them.
   */
  private async gatherTapeBlocks(q: FileSearchQuery, afterId: string | undefined, limit: number, keys: BlockKeys): Promise<FileVersionRow[]> {
    const p = new Params();
    const from = afterId !== undefined ? `AND b.id >= (${p.add(afterId)}::bigint >> 16)` : '';
    const candidates = await this.query<{ id: string }>(
      'searching files',
      `SELECT b.id::text AS id FROM version_block b WHERE b.content_buckets && ARRAY(${tapeBuckets(q.tapeId!, p)}) ${from} ORDER BY b.id`,
      p.values,
    );
    const found: FileVersionRow[] = [];
    for (let at = 0, size = this.firstBlockChunk; at < candidates.length && found.length < limit; at += size, size *= 4) {
      const blockIds = candidates.slice(at, at + size).map((c) => c.id);
      found.push(...(await this.gather(q, afterId, limit - found.length, keys, blockIds)));
    }
    return found;
  }

  /** The matches among the next `size` versions after `afterId`, and the last version looked at.
   *  The window and where it ends come from one snapshot, so the next step starts exactly where
   *  this one stopped looking. */
  private async window(q: FileSearchQuery, afterId: string | undefined, limit: number, size: number, keys: BlockKeys) {
    const p = new Params();
    const after = afterId !== undefined ? `WHERE ${afterCondition(p.add(afterId))}` : '';
    const rows = await this.query<RawVersion & { window_end: string | null; window_rows: number }>(
      'searching files',
      `WITH w AS (SELECT ${VERSION_ROW_COLUMNS} FROM file_version fv ${after} ORDER BY fv.block_id, fv.ord LIMIT ${p.add(size)}),
            m AS (SELECT max(id)::text AS window_end, count(*)::int AS window_rows FROM w),
            page AS (SELECT ${VERSION_COLUMNS} ${versionFrom(keys, 'w')}
                      WHERE ${whereClause(q, p, keys)} ORDER BY fv.id LIMIT ${p.add(limit)})
       SELECT m.window_end, m.window_rows, page.* FROM m LEFT JOIN page ON true ORDER BY page.id::bigint`,
      p.values,
    );
    return { rows: rows.filter((r) => r.id !== null).map(toVersion), end: rows[0].window_end, seen: rows[0].window_rows };
  }

  /** Most names or tape contents a gather looks up in the block GIN indexes (see BlockKeys). */
  maxBlockKeys = 1000;

  /** Whether the glob matches, or the tape holds, more than maxBlockKeys names or contents. */
  private async blockKeys(q: FileSearchQuery): Promise<BlockKeys> {
    if (!q.name && !q.tapeId) return { manyNames: false, manyContents: false };
    const p = new Params();
    const [counts] = await this.query<{ name_keys: number; tape_keys: number }>('searching files', keyCounts(q, p, this.maxBlockKeys + 1), p.values);
    return { manyNames: counts.name_keys > this.maxBlockKeys, manyContents: counts.tape_keys > this.maxBlockKeys };
  }

  /** The page as the planner sees fit (after the window, for a sparse filter); within `blockIds`
   *  only, when given. */
  private async gather(q: FileSearchQuery, afterId: string | undefined, limit: number, keys: BlockKeys, blockIds?: string[]): Promise<FileVersionRow[]> {
    const p = new Params();
    const blocks = blockIds ? [`fv.block_id = ANY(${p.add(blockIds)}::bigint[])`] : blockConditions(q, p, keys);
    const conds = [whereClause(q, p, keys), ...blocks];
    if (afterId !== undefined) conds.push(afterCondition(p.add(afterId)));
    // With a condition on the block arrays, the GIN indexes find the blocks and the matches are
    // sorted: ordered by id (an expression no index has), so the planner cannot prefer walking the
    // blocks in order, which its estimates for array conditions (a fixed fraction of the blocks)
    // make look cheap and which read every block of a 10-million-version catalog for one SHA-256.
    // Without one, ordering by block and position lets it walk.
    // Given blocks (a tape's candidates, in archive order): walked in order, up to a full page.
    const order = blocks.length > 0 && !blockIds ? 'fv.id' : 'fv.block_id, fv.ord';
    const rows = await this.query<RawVersion>(
      'searching files',
      `SELECT ${VERSION_COLUMNS} ${versionFrom(keys)} WHERE ${conds.join(' AND ')} ORDER BY ${order} LIMIT ${p.add(limit)}`,
      p.values,
    );
    return rows.map(toVersion);
  }

  async count(q: FileSearchQuery): Promise<number> {
    const p = new Params();
    const rows = await this.query<{ n: number }>(
      'counting files',
      `SELECT count(*)::float8 AS n FROM file_version fv JOIN directory d ON d.id = fv.directory_id WHERE ${[whereClause(q, p), ...blockConditions(q, p, FEW_KEYS)].join(' AND ')}`,
      p.values,
    );
    return rows[0].n;
  }

  /** Every version of one entry, newest first (deleted markers included). */
  async versionsOf(hostId: number, path: string): Promise<FileVersionRow[]> {
    const rows = await this.query<RawVersion>(
      'listing file versions',
      `SELECT ${VERSION_COLUMNS} ${VERSION_FROM}
        WHERE d.host_id = $1 AND d.path = $2 AND fv.name_id = (SELECT id FROM file_name WHERE name = $3)
        ORDER BY r.started_at DESC, fv.id DESC`,
      [hostId, parentPath(path) ?? ROOT, baseName(path)],
    );
    return rows.map(toVersion);
  }

  async placementsOf(contentIds: string[]): Promise<PlacementRow[]> {
    if (contentIds.length === 0) return [];
    return this.query<PlacementRow>(
      'reading placements',
      `SELECT p.content_id::text AS "contentId", t.barcode, p.partition, p.start_block::float8 AS "startBlock",
              p.container_path AS "containerPath", p."offset"::float8 AS "offset", p.length::float8 AS length, p.segment,
              p.file_offset::float8 AS "fileOffset", p.copy, p.job_id::text AS "jobId", p.segment_sha256 AS "segmentSha256",
              p.data_map AS "dataMap"
         FROM placement p JOIN tape t ON t.id = p.tape_id
        WHERE p.content_id = ANY($1::bigint[])
        ORDER BY p.content_id, p.copy, p.segment, t.barcode, p.start_block`,
      [contentIds],
    );
  }

  async hostId(name: string): Promise<number | undefined> {
    const rows = await this.query<{ id: number }>('looking up a host', 'SELECT id FROM host WHERE name = $1', [name]);
    return rows[0]?.id;
  }

  /** The tape's id; TAPE_NOT_FOUND when the catalog has no such barcode. */
  async requireTapeId(barcode: string): Promise<string> {
    const rows = await this.query<{ id: string }>('looking up a tape', 'SELECT id::text AS id FROM tape WHERE barcode = $1', [barcode]);
    if (!rows[0]) throw filesError(FilesErrorCode.TAPE_NOT_FOUND, `tape ${JSON.stringify(barcode)} does not exist`, { barcode });
    return rows[0].id;
  }

  async runHost(runId: string): Promise<string | undefined> {
    const rows = await this.query<{ host: string }>(
      'looking up a run',
      'SELECT h.name AS host FROM run r JOIN host h ON h.id = r.host_id WHERE r.id = $1::uuid',
      [runId],
    );
    return rows[0]?.host;
  }

  /** The versions with these ids (any that do not exist are simply absent). */
  async versionsByIds(ids: string[]): Promise<FileVersionRow[]> {
    const rows = await this.query<RawVersion>(
      'reading file versions',
      `SELECT ${VERSION_COLUMNS} ${VERSION_FROM}
        WHERE fv.block_id = ANY(ARRAY(SELECT DISTINCT i >> 16 FROM unnest($1::bigint[]) i)) AND fv.id = ANY($1::bigint[]) ORDER BY fv.id`,
      [ids],
    );
    return rows.map(toVersion);
  }

  /** A run's contents with one path each (runContentsQuery), `pageSize` at a time. */
  async *runContentPages(runId: string, pageSize: number): AsyncGenerator<Array<{ contentId: string; path: string }>> {
    const rows = cursorPages<{ content_id: string; dir_path: string; name: string }>(
      this.db.pool,
      'reading the contents of a run',
      runContentsQuery(runId),
      pageSize,
      SELECTION_STATEMENT_TIMEOUT,
    );
    for await (const page of rows) yield page.map((r) => ({ contentId: r.content_id, path: joinPath(r.dir_path, r.name) }));
  }

  /** The versions a query selects, `pageSize` at a time (a restore plan is built page by page). */
  async *versionPages(query: SqlQuery, pageSize: number): AsyncGenerator<FileVersionRow[]> {
    for await (const rows of cursorPages<RawVersion>(this.db.pool, 'selecting files to restore', query, pageSize, SELECTION_STATEMENT_TIMEOUT)) {
      yield rows.map(toVersion);
    }
  }
}
