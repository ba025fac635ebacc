// Bulk ingest of agent file reports: the only code that writes the file index. One batch is one
// transaction of a fixed number of set-based statements (UNNEST of column arrays), whatever the batch
// size: job lookup, idempotency ledger, tapes, directories, contents, placements, versions.
// Payload is kept small on purpose (ids instead of paths and hashes, hashes as one binary buffer,
// repeated values sent once): serializing and parsing the parameters is a measurable share of a batch.
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PrismaService } from '../../database/prisma.service.js';
import { toFerriteError } from './db-errors.js';
import { FilesErrorCode, filesError } from './files.errors.js';
import type { IngestPlan, RunRoot } from './ingest-plan.js';
import { intArrayLiteral as ints, textArrayLiteral as texts } from './sql-arrays.js';

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
  runs: Array<RunRoot & { hostId: number }>;
}

export interface PreparedIngest {
  hostId: number;
  plan: IngestPlan;
}

export interface IngestOutcome {
  accepted: boolean;
  stored: number;
}

/** Distinct values and, per input position, the 1-based index of its value among them. */
function dictionary(values: readonly string[]): { values: string[]; index: number[] } {
  const seen = new Map<string, number>();
  const distinct: string[] = [];
  const index = values.map((v) => {
    let i = seen.get(v);
    if (i === undefined) {
      distinct.push(v);
      i = distinct.length;
      seen.set(v, i);
    }
    return i;
  });
  return { values: distinct, index };
}

/** The id a previous statement of this batch produced. With no foreign keys on the bulk tables, a
 *  missing one must fail the batch here rather than store a dangling or NULL reference. */
function required(ids: Map<string, string>, key: string, what: string): string {
  const id = ids.get(key);
  if (id === undefined) throw filesError(FilesErrorCode.CATALOG_ERROR, `no ${what} id for ${JSON.stringify(key)} while storing the batch; it was rolled back, retry it`);
  return id;
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
      const { hostId, plan } = prepare(await this.loadJobContext(c, key.jobId));

      const ledger = await c.query(
        `INSERT INTO ingest_batch (job_id, attempt, batch_seq, file_count, manifest)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
        [key.jobId, key.attempt, key.batchSeq, key.fileCount, key.manifestPath],
      );
      if (ledger.rowCount === 0) return { accepted: false, stored: 0 };

      const tapeIds = await this.tapeIds(c, plan.barcodes);
      const dirIds = await this.ensureDirectories(c, hostId, plan.directories);
      const contentIds = await this.upsertContents(c, plan.contents);
      await this.insertPlacements(c, plan.placements, contentIds, tapeIds, key.jobId);
      const stored = await this.insertVersions(c, plan.versions, dirIds, contentIds, key.jobId);
      if (stored !== plan.versions.names.length) {
        throw filesError(FilesErrorCode.CATALOG_ERROR, `stored ${stored} of ${plan.versions.names.length} file versions; the batch was rolled back, retry it`);
      }
      return { accepted: true, stored };
    });
  }

  private async loadJobContext(c: pg.PoolClient, jobId: string): Promise<IngestJobContext | null> {
    const { rows } = await c.query<{ kind: string; agent_id: string | null; runs: Array<{ id: string; root: string; hostId: number }> }>(
      `SELECT j.kind::text AS kind, j.agent_id::text AS agent_id,
              COALESCE((SELECT json_agg(json_build_object('id', r.id, 'root', r.root, 'hostId', r.host_id) ORDER BY r.started_at, r.id)
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

  /** Makes sure every directory of the batch exists and returns their ids by path. New ones are
   *  linked to their parents afterwards: parents may be new in the same statement. */
  private async ensureDirectories(c: pg.PoolClient, hostId: number, dirs: IngestPlan['directories']): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    if (dirs.paths.length === 0) return ids;
    // `known` and `ins` read one snapshot, so together they cover each path once; a directory a
    // concurrent batch committed meanwhile is skipped by ON CONFLICT and looked up below.
    const { rows } = await c.query<{ ord: number; id: string | null; created: boolean }>(
      `WITH u AS (SELECT t.name, t.path, t.ord FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(name, path, ord)),
            known AS (SELECT d.id, d.path FROM directory d WHERE d.host_id = $1 AND d.path IN (SELECT path FROM u)),
            ins AS (INSERT INTO directory (host_id, name, path)
                    SELECT $1, u.name, u.path FROM u WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.path = u.path) ORDER BY u.ord
                    ON CONFLICT (host_id, path) DO NOTHING
                    RETURNING id, path)
       SELECT u.ord::int AS ord, COALESCE(k.id, i.id)::text AS id, i.id IS NOT NULL AS created
         FROM u LEFT JOIN known k ON k.path = u.path LEFT JOIN ins i ON i.path = u.path`,
      [hostId, texts(dirs.names), texts(dirs.paths)],
    );
    const created: string[] = [];
    const raced: string[] = [];
    for (const r of rows) {
      const path = dirs.paths[r.ord - 1];
      if (r.id === null) raced.push(path);
      else ids.set(path, r.id);
      if (r.created) created.push(path);
    }
    if (raced.length > 0) {
      const again = await c.query<{ id: string; path: string }>(`SELECT id::text AS id, path FROM directory WHERE host_id = $1 AND path = ANY($2::text[])`, [hostId, raced]);
      for (const r of again.rows) ids.set(r.path, r.id);
    }
    const parentOf = new Map<string, string | null>();
    dirs.paths.forEach((p, i) => parentOf.set(p, dirs.parents[i]));
    const children: string[] = [];
    const parents: string[] = [];
    for (const path of created) {
      const parent = parentOf.get(path);
      if (parent) {
        children.push(ids.get(path)!);
        parents.push(ids.get(parent)!);
      }
    }
    if (children.length > 0) {
      await c.query(`UPDATE directory d SET parent_id = u.parent FROM unnest($1::bigint[], $2::bigint[]) AS u(id, parent) WHERE d.id = u.id`, [ints(children), ints(parents)]);
    }
    return ids;
  }

  /** Inserts the contents not known yet; returns the id of every content of the batch by hex sha. */
  private async upsertContents(c: pg.PoolClient, contents: IngestPlan['contents']): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    if (contents.shas.length === 0) return ids;
    // Hashes travel as one binary parameter (32 bytes each), cut apart by position.
    const { rows } = await c.query<{ ord: number; id: string | null }>(
      `WITH u AS (SELECT substring($1::bytea FROM ((t.ord - 1) * 32 + 1)::int FOR 32) AS sha, t.size, t.ord
                    FROM unnest($2::bigint[]) WITH ORDINALITY AS t(size, ord)),
            known AS (SELECT ct.id, ct.sha256 FROM content ct WHERE ct.sha256 IN (SELECT sha FROM u)),
            ins AS (INSERT INTO content (sha256, size)
                    SELECT u.sha, u.size FROM u WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.sha256 = u.sha) ORDER BY u.ord
                    ON CONFLICT (sha256) DO NOTHING
                    RETURNING id, sha256)
       SELECT u.ord::int AS ord, COALESCE(k.id, i.id)::text AS id
         FROM u LEFT JOIN known k ON k.sha256 = u.sha LEFT JOIN ins i ON i.sha256 = u.sha`,
      [Buffer.concat(contents.raw), ints(contents.sizes)],
    );
    const raced: Buffer[] = [];
    for (const r of rows) {
      if (r.id === null) raced.push(contents.raw[r.ord - 1]);
      else ids.set(contents.shas[r.ord - 1], r.id);
    }
    if (raced.length > 0) {
      const again = await c.query<{ id: string; sha: string }>(
        `SELECT id::text AS id, encode(sha256, 'hex') AS sha FROM content
          WHERE sha256 IN (SELECT substring($1::bytea FROM (i * 32 + 1) FOR 32) FROM generate_series(0, $2::int - 1) AS i)`,
        [Buffer.concat(raced), raced.length],
      );
      for (const r of again.rows) ids.set(r.sha, r.id);
    }
    return ids;
  }

  private async insertPlacements(
    c: pg.PoolClient,
    p: IngestPlan['placements'],
    contentIds: Map<string, string>,
    tapeIds: Map<string, string>,
    jobId: string,
  ): Promise<void> {
    if (p.shas.length === 0) return;
    const tapes = dictionary(p.barcodes.map((b) => tapeIds.get(b)!));
    // Small files share their bundle: each container path is sent once.
    const containers = dictionary(p.containerPaths);
    await c.query(
      `INSERT INTO placement (content_id, tape_id, partition, start_block, container_path, "offset", length, segment, file_offset, copy, job_id)
       SELECT u.content_id, ($2::uuid[])[u.tape], u.part, u.start_block, cp.path, u.off, u.len, u.seg, u.file_off, 1, $10
         FROM unnest($1::bigint[], $3::int[], $4::text[], $5::bigint[], $6::int[], $7::bigint[], $8::bigint[], $9::int[], $11::bigint[])
              AS u(content_id, tape, part, start_block, container, off, len, seg, file_off)
         JOIN unnest($12::text[]) WITH ORDINALITY AS cp(path, ord) ON cp.ord = u.container
       ON CONFLICT (content_id, tape_id, segment, container_path, "offset") DO NOTHING`,
      [
        ints(p.shas.map((sha) => required(contentIds, sha, 'content'))),
        texts(tapes.values),
        ints(tapes.index),
        texts(p.partitions),
        ints(p.startBlocks),
        ints(containers.index),
        ints(p.offsets),
        ints(p.lengths),
        ints(p.segments),
        jobId,
        ints(p.fileOffsets),
        texts(containers.values),
      ],
    );
  }

  /** A later report of the same path in the same run (a retried attempt) replaces the earlier one. */
  private async insertVersions(
    c: pg.PoolClient,
    v: IngestPlan['versions'],
    dirIds: Map<string, string>,
    contentIds: Map<string, string>,
    jobId: string,
  ): Promise<number> {
    if (v.names.length === 0) return 0;
    const runs = dictionary(v.runIds);
    // ms / 1000 in float8 is exact to the millisecond for every date PostgreSQL holds (to_timestamp
    // rounds to microseconds, the column to milliseconds) and much cheaper than numeric division.
    const result = await c.query(
      `INSERT INTO file_version (directory_id, name, type, size, mtime, ctime, inode, mode, content_id, symlink_target, run_id, job_id)
       SELECT u.dir, u.name, u.type::"FileType", u.size, to_timestamp(u.mtime_ms::float8 / 1000), to_timestamp(u.ctime_ms::float8 / 1000),
              u.inode, u.mode, u.content_id, u.link, ($11::uuid[])[u.run], $12
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::int[],
                     $9::bigint[], $10::text[], $13::int[])
              AS u(dir, name, type, size, mtime_ms, ctime_ms, inode, mode, content_id, link, run)
       ON CONFLICT (run_id, directory_id, name) DO UPDATE
          SET type = EXCLUDED.type, size = EXCLUDED.size, mtime = EXCLUDED.mtime, ctime = EXCLUDED.ctime,
              inode = EXCLUDED.inode, mode = EXCLUDED.mode, content_id = EXCLUDED.content_id,
              symlink_target = EXCLUDED.symlink_target, job_id = EXCLUDED.job_id, deleted = false, archived_at = now()`,
      [
        ints(v.dirPaths.map((d) => required(dirIds, d, 'directory'))),
        texts(v.names),
        texts(v.types),
        ints(v.sizes),
        ints(v.mtimesMs),
        ints(v.ctimesMs),
        ints(v.inodes),
        ints(v.modes),
        ints(v.shas.map((sha) => (sha === null ? null : required(contentIds, sha, 'content')))),
        texts(v.symlinkTargets),
        texts(runs.values),
        jobId,
        ints(runs.index),
      ],
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
