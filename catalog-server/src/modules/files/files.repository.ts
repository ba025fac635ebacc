// Bulk ingest of agent file reports: the only code that writes the file index. One batch is one
// transaction: the batch's rows are streamed with binary COPY into session-local staging tables (temporary,
// so no WAL and no contention between concurrent batches, emptied at every commit), then merged by a
// fixed number of set-based statements whatever the batch size: directories, names, contents,
// placements, versions. Ids never travel back to Node: every join happens in the database.
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { PrismaService } from '../../database/prisma.service.js';
import type { Tx } from '../../database/transaction.js';
import { translateDatabaseError } from '../../database/database-errors.js';
import { FilesErrorCode, filesError } from './files.errors.js';
import type { IngestPlan, RunRoot } from './ingest-plan.js';
import type { OwnerNames } from './ownership.js';
import { CopyBinaryWriter, uuidBytes } from './copy-binary.js';
import { CONTENT_BUCKET_SHIFT } from './content-buckets.js';

export interface IngestBatchKey {
  jobId: string;
  attempt: number;
  batchSeq: number;
  manifestPath: string;
  fileCount: number;
}

/** What the repository knows of a job when a batch arrives. */
export interface IngestJobContext {
  kind: string;
  agentId: string | null;
  /** `num`: the run's int surrogate, what file versions store. */
  runs: Array<RunRoot & { hostId: number; num: number }>;
}

export interface PreparedIngest {
  hostId: number;
  plan: IngestPlan;
}

export interface IngestOutcome {
  accepted: boolean;
  stored: number;
}

// Session-local staging tables, created once per pooled connection. Temporary: never WAL-logged,
// private to the batch's connection, emptied at every commit (ON COMMIT DELETE ROWS).
const STAGING_TABLES = `
  CREATE TEMP TABLE IF NOT EXISTS ingest_stage_dir (path text NOT NULL, name text NOT NULL, parent text) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS ingest_stage_version (
    seq int NOT NULL, dir text NOT NULL, name text NOT NULL, type "FileType" NOT NULL, size bigint NOT NULL, mtime timestamptz NOT NULL,
    ctime timestamptz, inode bigint, mode int NOT NULL, sha bytea, link text, run int NOT NULL, del boolean NOT NULL, mtime_ns int, attrs text,
    uid int, gid int) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS ingest_dir_id (path text NOT NULL, id bigint NOT NULL) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS ingest_name_id (name text NOT NULL, id bigint) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS ingest_content_id (sha bytea NOT NULL, size bigint NOT NULL, id bigint) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS ingest_resolved (
    seq int NOT NULL, dir_id bigint NOT NULL, name_id bigint NOT NULL, content_id bigint, type "FileType" NOT NULL, size bigint NOT NULL,
    mtime timestamptz(3) NOT NULL, ctime timestamptz(3), inode bigint, mode int NOT NULL, link text, run int NOT NULL, del boolean NOT NULL,
    mtime_ns int, attrs text, uid int, gid int) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS ingest_stage_placement (
    sha bytea NOT NULL, tape uuid NOT NULL, part text NOT NULL, start_block bigint NOT NULL, container text NOT NULL,
    off bigint NOT NULL, len bigint NOT NULL, seg int NOT NULL, file_off bigint NOT NULL, copy int NOT NULL, seg_sha bytea, dmap text) ON COMMIT DELETE ROWS;`;

/** Most versions one block holds (one run, one directory). */
const BLOCK_SIZE = 1000;
/** First key of the advisory locks that serialize the batches of one run (second key: run num). */
export const RUN_LOCK_SPACE = 0x46525631;
/** Advisory lock (first key; second key 0) between ingest and the catalog purge: every batch holds
 *  it shared for its transaction (it looks contents up by SHA-256, then stores ids referring to
 *  them), and the purge deletes contents only while it holds it exclusively, taken with a try that
 *  never waits (catalog-purge.repository.ts). */
export const CONTENT_PURGE_LOCK_SPACE = 0x46525032;

/** A block's `mtime_days` from its `mtimes` array: the distinct UTC days (what a modified range's
 *  GIN condition in the search looks for). */
const mtimeDaysOf = (mtimes: string) => `ARRAY(SELECT DISTINCT (m AT TIME ZONE 'UTC')::date FROM unnest(${mtimes}) m WHERE m IS NOT NULL)`;

/** A block's `content_buckets`: its distinct content ids >> CONTENT_BUCKET_SHIFT (what a tape's
 *  GIN condition in the search looks for; see migration *_version_block_content_buckets). */
const contentBucketsOf = (contentIds: string) => `ARRAY(SELECT DISTINCT c >> ${CONTENT_BUCKET_SHIFT} FROM unnest(${contentIds}) c WHERE c IS NOT NULL)`;

/** Pooled connections that already have the staging tables. */
const staged = new WeakSet<pg.PoolClient>();

/** Streams COPY data (binary format) into a table. */
async function copyIn(c: pg.PoolClient, sql: string, data: Buffer): Promise<void> {
  const stream = c.query(pgCopy.from(`${sql} FROM STDIN (FORMAT binary)`));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    stream.end(data);
  });
}

@Injectable()
export class FilesRepository {
  constructor(private readonly db: PrismaService) {}

  /** Every placement on a tape, in the caller's transaction (the tape was reformatted or recycled:
   *  what the catalog said was on it is gone). Returns how many. */
  deleteOnTape(tx: Tx, tapeId: string): Promise<number> {
    return tx.$executeRaw`DELETE FROM placement WHERE tape_id = ${tapeId}::uuid`;
  }

  /**
   * Stores one batch atomically. `prepare` sees the job (null when it does not exist) and either
   * throws (the transaction rolls back, nothing is stored) or returns the rows to write. A batch key
   * that is already in the ledger makes this a no-op that reports accepted=false.
   */
  async ingestBatch(key: IngestBatchKey, prepare: (job: IngestJobContext | null) => PreparedIngest): Promise<IngestOutcome> {
    return this.inTransaction('storing a file batch', async (c) => {
      // Shared with every other batch; only a purge of contents waits for it (see CONTENT_PURGE_LOCK_SPACE).
      await c.query('SELECT pg_advisory_xact_lock_shared($1::int, 0)', [CONTENT_PURGE_LOCK_SPACE]);
      const job = await this.loadJobContext(c, key.jobId);
      const { hostId, plan } = prepare(job);
      const runNums = new Map(job!.runs.map((r) => [r.id, r.num]));

      const ledger = await c.query(
        `INSERT INTO ingest_batch (job_id, attempt, batch_seq, file_count, manifest)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
        [key.jobId, key.attempt, key.batchSeq, key.fileCount, key.manifestPath],
      );
      if (ledger.rowCount === 0) return { accepted: false, stored: 0 };

      const tapeIds = await this.tapeIds(c, plan.barcodes);
      await this.stage(c, plan, tapeIds, runNums);
      await this.mergeOwnerNames(c, hostId, key.jobId, plan.ownerNames);
      const stored = await this.merge(c, hostId, key.jobId, plan.references);
      if (stored !== plan.versions.names.length) {
        throw filesError(FilesErrorCode.CATALOG_ERROR, `stored ${stored} of ${plan.versions.names.length} file versions; the batch was rolled back, retry it`);
      }
      return { accepted: true, stored };
    });
  }

  private async loadJobContext(c: pg.PoolClient, jobId: string): Promise<IngestJobContext | null> {
    const { rows } = await c.query<{ kind: string; agent_id: string | null; runs: Array<{ id: string; root: string; hostId: number; num: number }> }>(
      `SELECT j.kind::text AS kind, j.agent_id::text AS agent_id,
              COALESCE((SELECT json_agg(json_build_object('id', r.id, 'root', r.root, 'hostId', r.host_id, 'num', r.num) ORDER BY r.started_at, r.id)
                        FROM run r WHERE r.job_id = j.id), '[]'::json) AS runs
         FROM job j WHERE j.id = $1`,
      [jobId],
    );
    const row = rows[0];
    return row ? { kind: row.kind, agentId: row.agent_id, runs: row.runs } : null;
  }

  /** Tape id per barcode; any unknown barcode fails the batch with TAPE_NOT_FOUND. */
  private async tapeIds(c: pg.PoolClient, barcodes: string[]): Promise<Map<string, string>> {
    if (barcodes.length === 0) return new Map();
    const { rows } = await c.query<{ id: string; barcode: string }>(`SELECT id::text AS id, barcode FROM tape WHERE barcode = ANY($1::text[])`, [barcodes]);
    const ids = new Map(rows.map((r) => [r.barcode, r.id]));
    const missing = barcodes.filter((b) => !ids.has(b));
    if (missing.length > 0) {
      throw filesError(FilesErrorCode.TAPE_NOT_FOUND, `the batch names tape(s) the catalog does not know: ${missing.join(', ')}; register them first`, {
        barcodes: missing,
      });
    }
    return ids;
  }

  /** Streams the batch into the staging tables. */
  private async stage(c: pg.PoolClient, plan: IngestPlan, tapeIds: Map<string, string>, runNums: Map<string, number>): Promise<void> {
    const d = plan.directories;
    if (d.paths.length > 0) {
      const dirs = new CopyBinaryWriter(3);
      for (let i = 0; i < d.paths.length; i++) dirs.row().text(d.paths[i]).text(d.names[i]).text(d.parents[i]);
      await copyIn(c, 'COPY ingest_stage_dir (path, name, parent)', dirs.finish());
    }

    const v = plan.versions;
    if (v.names.length > 0) {
      const versions = new CopyBinaryWriter(17, v.names.length * 184);
      for (let i = 0; i < v.names.length; i++) {
        versions
          .row()
          .int4(i)
          .text(v.dirPaths[i])
          .text(v.names[i])
          .text(v.types[i])
          .int8(v.sizes[i])
          .timestampMs(v.mtimesMs[i])
          .timestampMs(v.ctimesMs[i])
          .int8(v.inodes[i])
          .int4(v.modes[i])
          .bytes(v.shas[i])
          .text(v.symlinkTargets[i])
          .int4(runNums.get(v.runIds[i])!)
          .bool(v.deleted[i])
          .int4OrNull(v.mtimeNanos[i])
          .text(v.attributes[i])
          .int4OrNull(v.uids[i])
          .int4OrNull(v.gids[i]);
      }
      await copyIn(
        c,
        'COPY ingest_stage_version (seq, dir, name, type, size, mtime, ctime, inode, mode, sha, link, run, del, mtime_ns, attrs, uid, gid)',
        versions.finish(),
      );
    }

    const p = plan.placements;
    if (p.shas.length === 0) return;
    const tapes = new Map([...tapeIds].map(([barcode, id]) => [barcode, uuidBytes(id)]));
    const placements = new CopyBinaryWriter(12, p.shas.length * 200);
    for (let i = 0; i < p.shas.length; i++) {
      placements
        .row()
        .bytes(p.shas[i])
        .bytes(tapes.get(p.barcodes[i]))
        .text(p.partitions[i])
        .int8(p.startBlocks[i])
        .text(p.containerPaths[i])
        .int8(p.offsets[i])
        .int8(p.lengths[i])
        .int4(p.segments[i])
        .int8(p.fileOffsets[i])
        .int4(p.copies[i])
        .bytes(p.segmentShas[i])
        .text(p.dataMaps[i]);
    }
    await copyIn(c, 'COPY ingest_stage_placement (sha, tape, part, start_block, container, off, len, seg, file_off, copy, seg_sha, dmap)', placements.finish());
  }

  /**
   * Merges the staged batch into the index; returns the number of versions written. Each statement
   * reads the rows the previous ones wrote (or a concurrent batch committed: ON CONFLICT waits for
   * it, and the next statement's snapshot sees it). Inserts go in key order so concurrent batches
   * take index locks in the same order and cannot deadlock.
   */
  private async merge(c: pg.PoolClient, hostId: number, jobId: string, references: string[]): Promise<number> {
    // Every statement below joins a few thousand staged rows to tables of millions. The staging
    // tables have no statistics, and the planner's choice was a hash join that reads the whole big
    // table (content, file_name) on every batch: measured at 600k versions, 230k content rows
    // scanned per batch of 5,000, a cost that grows with the catalog. Index probes cost
    // O(batch x log catalog); nested loops force them, for this transaction only.
    await c.query('SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off');
    // Directories: the missing ones, then parent links for those that lack one (new ones, and any
    // a concurrent batch created but whose parent it could not see yet).
    await c.query(
      `INSERT INTO directory (host_id, name, path)
       SELECT $1, s.name, s.path FROM ingest_stage_dir s
        WHERE NOT EXISTS (SELECT 1 FROM directory d WHERE d.host_id = $1 AND d.path = s.path)
        ORDER BY s.path
       ON CONFLICT (host_id, path) DO NOTHING`,
      [hostId],
    );
    await c.query(
      `UPDATE directory d SET parent_id = p.id
         FROM ingest_stage_dir s JOIN directory p ON p.host_id = $1 AND p.path = s.parent
        WHERE d.host_id = $1 AND d.path = s.path AND d.parent_id IS NULL`,
      [hostId],
    );
    // The batch's ids, looked up once per distinct directory, name and content (not per record):
    // from here on the batch is joined with these small maps only.
    await c.query(`INSERT INTO ingest_dir_id SELECT d.path, d.id FROM ingest_stage_dir s JOIN directory d ON d.host_id = $1 AND d.path = s.path`, [hostId]);
    // One row per distinct name and content of the batch, with its id when the catalog has it (one
    // index probe each, forced by LATERAL).
    await c.query(
      `INSERT INTO ingest_name_id
       SELECT s.name, n.id FROM (SELECT DISTINCT name FROM ingest_stage_version) s
         LEFT JOIN LATERAL (SELECT id FROM file_name n WHERE n.name = s.name) n ON true`,
    );
    await c.query(
      `INSERT INTO ingest_content_id
       SELECT s.sha, s.size, ct.id FROM (SELECT sha, max(size) AS size FROM ingest_stage_version WHERE sha IS NOT NULL GROUP BY sha) s
         LEFT JOIN LATERAL (SELECT id FROM content ct WHERE ct.sha256 = s.sha) ct ON true`,
    );
    // Batch-sized tables joined with each other: hash joins again.
    await c.query('SET LOCAL enable_hashjoin = on');
    await this.checkReferences(c, references);
    // Names and contents the catalog does not have yet, inserted in key order; their ids come back
    // with RETURNING. Contents and placements are facts about the tape: only ever added.
    await c.query(
      `WITH added AS (
         INSERT INTO file_name (name) SELECT name FROM ingest_name_id WHERE id IS NULL ORDER BY name
         ON CONFLICT (name) DO NOTHING RETURNING name, id)
       UPDATE ingest_name_id m SET id = a.id FROM added a WHERE m.name = a.name`,
    );
    await c.query(
      `WITH added AS (
         INSERT INTO content (sha256, size) SELECT sha, size FROM ingest_content_id WHERE id IS NULL ORDER BY sha
         ON CONFLICT (sha256) DO NOTHING RETURNING sha256, id)
       UPDATE ingest_content_id m SET id = a.id FROM added a WHERE m.sha = a.sha256`,
    );
    // A name or content that a concurrent batch committed after the lookups above was skipped by
    // ON CONFLICT and still has no id: looked up now (none, almost always). One still without an
    // id leaves its records out, and the count check fails the batch.
    await c.query(`UPDATE ingest_name_id m SET id = (SELECT id FROM file_name n WHERE n.name = m.name) WHERE m.id IS NULL`);
    await c.query(`UPDATE ingest_content_id m SET id = (SELECT id FROM content ct WHERE ct.sha256 = m.sha) WHERE m.id IS NULL`);
    // A placement the catalog already holds (a retried batch, a tape rebuilt) is kept as it is,
    // segment hash included (NULL: a content in one piece, or a segment written before them).
    await c.query(
      `INSERT INTO placement (content_id, tape_id, partition, start_block, container_path, "offset", length, segment, file_offset, copy, job_id, segment_sha256, data_map)
       SELECT ct.id, s.tape, s.part, s.start_block, s.container, s.off, s.len, s.seg, s.file_off, s.copy, $1, s.seg_sha, s.dmap
         FROM ingest_stage_placement s JOIN ingest_content_id ct ON ct.sha = s.sha
        WHERE ct.id IS NOT NULL
        ORDER BY ct.id, s.tape, s.start_block, s.off
       ON CONFLICT (content_id, tape_id, start_block, "offset") DO NOTHING`,
      [jobId],
    );
    return this.mergeVersions(c);
  }

  /** The host's names of the batch's owner and group numbers: a number new to the host is added, a
   *  number renamed since takes its new name, unless the batch's backup started before the one
   *  that named it (a rebuild from an older tape). Names already stored as they are, and older
   *  ones, are filtered out first, so the steady state (every name known) writes and locks nothing. */
  private async mergeOwnerNames(c: pg.PoolClient, hostId: number, jobId: string, names: OwnerNames): Promise<void> {
    if (names.numbers.length === 0) return;
    await c.query(
      `WITH backup AS (SELECT max(started_at) AS at FROM run WHERE job_id = $2::uuid)
       INSERT INTO owner_name (host_id, kind, number, name, resolved_at)
       SELECT $1, s.kind, s.number, s.name, backup.at FROM unnest($3::"OwnerKind"[], $4::int[], $5::text[]) AS s(kind, number, name), backup
        WHERE NOT EXISTS (SELECT 1 FROM owner_name o WHERE o.host_id = $1 AND o.kind = s.kind AND o.number = s.number
                             AND (o.name = s.name OR o.resolved_at > backup.at))
        ORDER BY s.kind, s.number
       ON CONFLICT (host_id, kind, number) DO UPDATE SET name = EXCLUDED.name, resolved_at = EXCLUDED.resolved_at
        WHERE owner_name.resolved_at <= EXCLUDED.resolved_at`,
      [hostId, jobId, names.kinds, names.numbers, names.names],
    );
  }

  /** Files reported without a location of their own (unchanged, or deduplicated) must name a
   *  content that is already on some tape; otherwise the batch is refused with INVALID_RECORD. Runs
   *  after the content lookup, so a reference costs one probe for a placement, not a second
   *  SHA-256 probe. */
  private async checkReferences(c: pg.PoolClient, shas: string[]): Promise<void> {
    if (shas.length === 0) return;
    const { rows } = await c.query<{ sha: string }>(
      `SELECT r.hex AS sha FROM unnest($1::text[]) AS r(hex) JOIN ingest_content_id m ON m.sha = decode(r.hex, 'hex')
        WHERE m.id IS NULL OR NOT EXISTS (SELECT 1 FROM placement p WHERE p.content_id = m.id)
        ORDER BY r.hex LIMIT 10`,
      [shas],
    );
    if (rows.length > 0) {
      throw filesError(
        FilesErrorCode.INVALID_RECORD,
        `the batch names files without a tape location whose content is on no tape (sha256 ${rows.map((r) => r.sha).join(', ')}); nothing from this batch was stored`,
        { sha256: rows.map((r) => r.sha) },
      );
    }
  }

  /**
   * Versions go into blocks (see migration *_version_blocks): the batch's versions of one run in
   * one directory become one new block (or several of at most BLOCK_SIZE), after any of them that
   * the run already holds (a retried attempt, or a path reported again in a later batch) have
   * replaced the earlier version in its block, keeping that version's id.
   */
  private async mergeVersions(c: pg.PoolClient): Promise<number> {
    // With no foreign keys, a row whose directory, name or content is not found must not be stored
    // with a NULL or dangling id: it is left out, and the caller's count check fails the batch.
    const resolved = await c.query(
      `INSERT INTO ingest_resolved
       SELECT s.seq, d.id, n.id, ct.id, s.type, s.size, s.mtime, s.ctime, s.inode, s.mode, s.link, s.run, s.del, s.mtime_ns, s.attrs, s.uid, s.gid
         FROM ingest_stage_version s
         JOIN ingest_dir_id d ON d.path = s.dir
         JOIN ingest_name_id n ON n.name = s.name
         LEFT JOIN ingest_content_id ct ON ct.sha = s.sha
        WHERE n.id IS NOT NULL AND (s.sha IS NULL) = (ct.id IS NULL)`,
    );
    // Batches of one run are serialized from here to commit, so "does the run already hold this
    // entry" cannot race with a concurrent batch of the same run adding it.
    await c.query('SELECT pg_advisory_xact_lock($1::int, r.run) FROM (SELECT DISTINCT run FROM ingest_resolved ORDER BY run) r', [RUN_LOCK_SPACE]);
    await this.replaceExistingVersions(c);
    // Every array is ordered by seq, so PostgreSQL sorts the batch once (presorted aggregates); the
    // block's distinct mtime days come from its mtimes afterwards rather than from a second sort.
    await c.query(
      `INSERT INTO version_block (directory_id, run_num, name_ids, content_ids, sizes, mtimes, ctimes, inodes, modes, types, deleted, symlink_targets,
                                  mtime_days, content_buckets, mtime_nanos, attrs, uids, gids)
       SELECT g.dir_id, g.run, g.name_ids, g.content_ids, g.sizes, g.mtimes, g.ctimes, g.inodes, g.modes, g.types, g.deleted, g.links,
              ${mtimeDaysOf('g.mtimes')}, ${contentBucketsOf('g.content_ids')}, g.mtime_nanos, g.attrs, g.uids, g.gids
         FROM (SELECT dir_id, run, min(seq) AS first, array_agg(name_id ORDER BY seq) AS name_ids, array_agg(content_id ORDER BY seq) AS content_ids,
                      array_agg(size ORDER BY seq) AS sizes, array_agg(mtime ORDER BY seq) AS mtimes, array_agg(ctime ORDER BY seq) AS ctimes,
                      array_agg(inode ORDER BY seq) AS inodes, array_agg(mode ORDER BY seq) AS modes, array_agg(type ORDER BY seq) AS types,
                      array_agg(del ORDER BY seq) AS deleted, array_agg(link ORDER BY seq) AS links, array_agg(mtime_ns ORDER BY seq) AS mtime_nanos,
                      array_agg(attrs ORDER BY seq) AS attrs, array_agg(uid ORDER BY seq) AS uids, array_agg(gid ORDER BY seq) AS gids
                 FROM (SELECT r.*, (row_number() OVER (PARTITION BY r.run, r.dir_id ORDER BY r.seq) - 1) / ${BLOCK_SIZE} AS chunk FROM ingest_resolved r) x
                GROUP BY run, dir_id, chunk) g
        ORDER BY g.first`,
    );
    return resolved.rowCount ?? 0;
  }

  /** Versions of the batch that their run already holds replace the earlier version in place (same
   *  id, same block) and are taken out of the batch's new blocks. Almost every batch has none; a
   *  batch that continues a directory of its run reads that directory's blocks once to find out. */
  private async replaceExistingVersions(c: pg.PoolClient): Promise<void> {
    // Hash joins are on here (see merge()): the two sides of each join are batch-sized.
    const { rows: hits } = await c.query<{ block_id: string; ord: number; seq: number }>(
      `WITH existing AS MATERIALIZED (
         SELECT b.id AS block_id, (e.ord - 1)::int AS ord, b.directory_id, b.run_num, e.name_id
           FROM (SELECT DISTINCT run, dir_id FROM ingest_resolved) k,
                LATERAL (SELECT id, directory_id, run_num, name_ids FROM version_block v WHERE v.directory_id = k.dir_id AND v.run_num = k.run) b,
                LATERAL unnest(b.name_ids) WITH ORDINALITY AS e(name_id, ord))
       SELECT e.block_id::text AS block_id, e.ord, x.seq FROM existing e
         JOIN ingest_resolved x ON x.dir_id = e.directory_id AND x.run = e.run_num AND x.name_id = e.name_id`,
    );
    if (hits.length > 0) {
      const blocks = [...new Set(hits.map((h) => h.block_id))];
      const pick = (column: string, replacement: string) => `array_agg(CASE WHEN x.seq IS NULL THEN ${column} ELSE ${replacement} END ORDER BY fv.ord)`;
      await c.query(
        `WITH hit AS (SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[]) AS h(block_id, ord, seq)),
         rebuilt AS (
           SELECT fv.block_id, ${pick('fv.content_id', 'x.content_id')} AS content_ids, ${pick('fv.size', 'x.size')} AS sizes,
                  ${pick('fv.mtime', 'x.mtime')} AS mtimes, ${pick('fv.ctime', 'x.ctime')} AS ctimes, ${pick('fv.inode', 'x.inode')} AS inodes,
                  ${pick('fv.mode', 'x.mode')} AS modes, ${pick('fv.type', 'x.type')} AS types, ${pick('fv.deleted', 'x.del')} AS deleted,
                  ${pick("NULLIF(fv.symlink_target, '')", 'x.link')} AS links, ${pick('fv.mtime_nanos', 'x.mtime_ns')} AS mtime_nanos,
                  ${pick('fv.attrs', 'x.attrs')} AS attrs, ${pick('fv.uid', 'x.uid')} AS uids, ${pick('fv.gid', 'x.gid')} AS gids
             -- every position, holes left by the catalog purge included, so none moves
             FROM version_slot fv
             LEFT JOIN hit h ON h.block_id = fv.block_id AND h.ord = fv.ord
             LEFT JOIN ingest_resolved x ON x.seq = h.seq
            WHERE fv.block_id = ANY($4::bigint[])
            GROUP BY fv.block_id)
         UPDATE version_block b SET content_ids = r.content_ids, sizes = r.sizes, mtimes = r.mtimes, ctimes = r.ctimes, inodes = r.inodes,
                modes = r.modes, types = r.types, deleted = r.deleted, symlink_targets = r.links, mtime_nanos = r.mtime_nanos, attrs = r.attrs, uids = r.uids, gids = r.gids, mtime_days = ${mtimeDaysOf('r.mtimes')},
                content_buckets = ${contentBucketsOf('r.content_ids')}
           FROM rebuilt r WHERE b.id = r.block_id`,
        [hits.map((h) => h.block_id), hits.map((h) => h.ord), hits.map((h) => h.seq), blocks],
      );
      await c.query('DELETE FROM ingest_resolved WHERE seq = ANY($1::int[])', [hits.map((h) => h.seq)]);
    }
  }

  private async inTransaction<T>(action: string, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.db.pool.connect();
    } catch (err) {
      throw translateDatabaseError(err, action);
    }
    let broken: Error | undefined;
    try {
      if (!staged.has(client)) {
        // Outside the transaction, so a rolled-back batch cannot take the tables with it.
        await client.query(STAGING_TABLES);
        staged.add(client);
      }
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw translateDatabaseError(err, action);
    } finally {
      // A connection that could not even roll back is discarded, not returned to the pool.
      client.release(broken);
    }
  }
}
