// Bulk ingest of agent file reports: the only code that writes the file index. One batch is one
// transaction: the batch's rows are streamed with COPY into session-local staging tables (temporary,
// so no WAL and no contention between concurrent batches, emptied at every commit), then merged by a
// fixed number of set-based statements whatever the batch size: directories, names, contents,
// placements, versions. Ids never travel back to Node: every join happens in the database.
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { isUniqueViolation } from '../../database/database-errors.js';
import { PrismaService } from '../../database/prisma.service.js';
import { toFerriteError } from './db-errors.js';
import { FilesErrorCode, filesError } from './files.errors.js';
import type { IngestPlan, RunRoot } from './ingest-plan.js';
import { copyHexBytea, copyInt, copyText } from './copy-text.js';

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
    dir text NOT NULL, name text NOT NULL, type text NOT NULL, size bigint NOT NULL, mtime_ms bigint NOT NULL, ctime_ms bigint,
    inode bigint, mode int NOT NULL, sha bytea, link text NOT NULL, run int NOT NULL, del boolean NOT NULL) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS ingest_stage_placement (
    sha bytea NOT NULL, tape uuid NOT NULL, part text NOT NULL, start_block bigint NOT NULL, container text NOT NULL,
    off bigint NOT NULL, len bigint NOT NULL, seg int NOT NULL, file_off bigint NOT NULL, copy int NOT NULL) ON COMMIT DELETE ROWS;`;

/** Pooled connections that already have the staging tables. */
const staged = new WeakSet<pg.PoolClient>();

/** Streams COPY data (text format) into a table. */
async function copyIn(c: pg.PoolClient, sql: string, data: string): Promise<void> {
  if (data.length === 0) return;
  const stream = c.query(pgCopy.from(sql));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    stream.end(data);
  });
}

@Injectable()
export class FilesRepository {
  constructor(private readonly db: PrismaService) {}

  /**
   * Stores one batch atomically. `prepare` sees the job (null when it does not exist) and either
   * throws (the transaction rolls back, nothing is stored) or returns the rows to write. A batch key
   * that is already in the ledger makes this a no-op that reports accepted=false.
   */
  async ingestBatch(key: IngestBatchKey, prepare: (job: IngestJobContext | null) => PreparedIngest): Promise<IngestOutcome> {
    return this.inTransaction('storing a file batch', async (c) => {
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
      await this.checkReferences(c, plan.references);
      const stored = await this.merge(c, hostId, key.jobId);
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

  /** Files reported without a location of their own (unchanged, or deduplicated) must name a
   *  content that is already on some tape; otherwise the batch is refused with INVALID_RECORD. */
  private async checkReferences(c: pg.PoolClient, shas: string[]): Promise<void> {
    if (shas.length === 0) return;
    const { rows } = await c.query<{ sha: string }>(
      `SELECT encode(s.sha, 'hex') AS sha FROM unnest($1::text[]) AS r(hex), LATERAL (SELECT decode(r.hex, 'hex') AS sha) s
        WHERE NOT EXISTS (SELECT 1 FROM content ct JOIN placement p ON p.content_id = ct.id WHERE ct.sha256 = s.sha)
        LIMIT 10`,
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

  /** Streams the batch into the staging tables. */
  private async stage(c: pg.PoolClient, plan: IngestPlan, tapeIds: Map<string, string>, runNums: Map<string, number>): Promise<void> {
    const d = plan.directories;
    let dirs = '';
    for (let i = 0; i < d.paths.length; i++) dirs += `${copyText(d.paths[i])}\t${copyText(d.names[i])}\t${copyText(d.parents[i])}\n`;
    await copyIn(c, 'COPY ingest_stage_dir (path, name, parent) FROM STDIN', dirs);

    const v = plan.versions;
    let versions = '';
    for (let i = 0; i < v.names.length; i++) {
      versions +=
        `${copyText(v.dirPaths[i])}\t${copyText(v.names[i])}\t${v.types[i]}\t${v.sizes[i]}\t${v.mtimesMs[i]}\t${copyInt(v.ctimesMs[i])}\t` +
        `${copyInt(v.inodes[i])}\t${v.modes[i]}\t${copyHexBytea(v.shas[i])}\t${copyText(v.symlinkTargets[i] ?? '')}\t${runNums.get(v.runIds[i])!}\t${v.deleted[i] ? 't' : 'f'}\n`;
    }
    await copyIn(c, 'COPY ingest_stage_version (dir, name, type, size, mtime_ms, ctime_ms, inode, mode, sha, link, run, del) FROM STDIN', versions);

    const p = plan.placements;
    if (p.shas.length === 0) return;
    let placements = '';
    for (let i = 0; i < p.shas.length; i++) {
      placements +=
        `${copyHexBytea(p.shas[i])}\t${tapeIds.get(p.barcodes[i])!}\t${copyText(p.partitions[i])}\t${p.startBlocks[i]}\t${copyText(p.containerPaths[i])}\t` +
        `${p.offsets[i]}\t${p.lengths[i]}\t${p.segments[i]}\t${p.fileOffsets[i]}\t${p.copies[i]}\n`;
    }
    await copyIn(c, 'COPY ingest_stage_placement (sha, tape, part, start_block, container, off, len, seg, file_off, copy) FROM STDIN', placements);
  }

  /**
   * Merges the staged batch into the index; returns the number of versions written. Each statement
   * reads the rows the previous ones wrote (or a concurrent batch committed: ON CONFLICT waits for
   * it, and the next statement's snapshot sees it). Inserts go in key order so concurrent batches
   * take index locks in the same order and cannot deadlock.
   */
  private async merge(c: pg.PoolClient, hostId: number, jobId: string): Promise<number> {
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
    await c.query(
      `INSERT INTO file_name (name)
       SELECT DISTINCT s.name FROM ingest_stage_version s
        WHERE NOT EXISTS (SELECT 1 FROM file_name n WHERE n.name = s.name)
        ORDER BY s.name
       ON CONFLICT (name) DO NOTHING`,
    );
    // Contents and placements are facts about the tape: only ever added.
    await c.query(
      `INSERT INTO content (sha256, size)
       SELECT DISTINCT ON (s.sha) s.sha, s.size FROM ingest_stage_version s
        WHERE s.sha IS NOT NULL AND NOT EXISTS (SELECT 1 FROM content ct WHERE ct.sha256 = s.sha)
        ORDER BY s.sha
       ON CONFLICT (sha256) DO NOTHING`,
    );
    await c.query(
      `INSERT INTO placement (content_id, tape_id, partition, start_block, container_path, "offset", length, segment, file_offset, copy, job_id)
       SELECT ct.id, s.tape, s.part, s.start_block, s.container, s.off, s.len, s.seg, s.file_off, s.copy, $1
         FROM ingest_stage_placement s JOIN content ct ON ct.sha256 = s.sha
        ORDER BY ct.id, s.tape, s.start_block, s.off
       ON CONFLICT (content_id, tape_id, start_block, "offset") DO NOTHING`,
      [jobId],
    );
    // A later report of the same path in the same run (a retried attempt) replaces the earlier one.
    // With no foreign keys, a row whose directory, name or content is not found must not be stored
    // with a NULL or dangling id: it is left out, and the caller's count check fails the batch.
    // ms / 1000 in float8 is exact to the millisecond for every date PostgreSQL holds (to_timestamp
    // rounds to microseconds, the column to milliseconds) and much cheaper than numeric division.
    const select = `
      SELECT d.id, n.id, s.type::"FileType", s.size, to_timestamp(s.mtime_ms::float8 / 1000), to_timestamp(s.ctime_ms::float8 / 1000),
             s.inode, s.mode, ct.id, s.link, s.run, s.del
        FROM ingest_stage_version s
        JOIN directory d ON d.host_id = $1 AND d.path = s.dir
        JOIN file_name n ON n.name = s.name
        LEFT JOIN content ct ON ct.sha256 = s.sha
       WHERE (s.sha IS NULL) = (ct.id IS NULL)
       ORDER BY d.id, n.id`;
    const insert = 'INSERT INTO file_version (directory_id, name_id, type, size, mtime, ctime, inode, mode, content_id, symlink_target, run_num, deleted)';
    // Almost every batch only adds versions: a plain INSERT skips ON CONFLICT's extra probe of the
    // unique index per row. When a version of the same entry and run exists (a retried attempt, or
    // a path reported again in a later batch), the unique index refuses the statement, and it is
    // redone from the savepoint with ON CONFLICT, which replaces the earlier version.
    await c.query('SAVEPOINT versions');
    try {
      const result = await c.query(`${insert} ${select}`, [hostId]);
      await c.query('RELEASE SAVEPOINT versions');
      return result.rowCount ?? 0;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await c.query('ROLLBACK TO SAVEPOINT versions');
    }
    const result = await c.query(
      `${insert} ${select}
       ON CONFLICT (directory_id, name_id, run_num) DO UPDATE
          SET type = EXCLUDED.type, size = EXCLUDED.size, mtime = EXCLUDED.mtime, ctime = EXCLUDED.ctime,
              inode = EXCLUDED.inode, mode = EXCLUDED.mode, content_id = EXCLUDED.content_id,
              symlink_target = EXCLUDED.symlink_target, deleted = EXCLUDED.deleted`,
      [hostId],
    );
    return result.rowCount ?? 0;
  }

  private async inTransaction<T>(action: string, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.db.pool.connect();
    } catch (err) {
      throw toFerriteError(err, action);
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
      throw toFerriteError(err, action);
    } finally {
      // A connection that could not even roll back is discarded, not returned to the pool.
      client.release(broken);
    }
  }
}
