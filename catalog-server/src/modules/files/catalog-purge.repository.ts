// The SQL of the catalog purge: file versions, contents and runs that no tape holds any more leave
// the file index, in short transactions of at most `limit` rows each (blocks, contents), so that
// search and ingest go on meanwhile. The rules (which run has expired, which version may go when)
// are the purge service's (tapes/catalog-purge.service.ts); this file only says how each step is
// done safely:
//
// - Versions leave their block as holes (migration *_catalog_purge): element i of every array is
//   set to NULL, so the other versions keep their positions and ids; `file_version` skips holes. A
//   block left with no version is deleted. Blocks are taken FOR UPDATE SKIP LOCKED in id order (a
//   keyset), so a block someone else holds is left for the next pass instead of waited for.
// - A content is not deleted with its versions: its id is queued (content_purge) and the content
//   goes later, once no placement and no version refers to it, in a transaction that holds the
//   content lock exclusively. Ingest holds that lock shared for each batch (it looks contents up,
//   then stores ids of them), and the purge only tries for it: while a batch is in flight the
//   contents wait for the next try, and no batch ever waits more than one small delete.
// - Every purge transaction first takes the purge lock (blocking, purge transactions only), so
//   the purges of several replicas never interleave.
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PrismaService } from '../../database/prisma.service.js';
import { translateDatabaseError } from '../../database/database-errors.js';
import { CONTENT_BUCKET_SHIFT } from './content-buckets.js';
import { CONTENT_PURGE_LOCK_SPACE } from './files.repository.js';

/** A run the purge may look at: its job is over and every tape the job wrote was recycled after it. */
export interface ExpiredRun {
  id: string;
  num: number;
  level: 'FULL' | 'INCREMENTAL';
  /** It has no base run, or its base run has left the catalog. */
  baseGone: boolean;
  /** Another run still in the catalog has it as its base (its chain needs it). */
  hasDependents: boolean;
}

export interface VersionBatch {
  /** Blocks looked at (0: the run has no block after `afterBlockId`). */
  blocks: number;
  lastBlockId: string | null;
  versions: number;
  blocksRewritten: number;
  blocksDeleted: number;
}

export interface ContentBatch {
  /** False when an ingest batch was in flight: nothing was done, try later. */
  locked: boolean;
  contents: number;
  /** Queue entries settled (deleted contents, and contents something still refers to). */
  dequeued: number;
}

/** Second key of the advisory lock every purge transaction takes (first key: CONTENT_PURGE_LOCK_SPACE). */
const PURGE_RUNNER_KEY = 1;

/** `column` of block `b` with the positions `g.ords` (1-based) set to NULL; NULL stays NULL. */
const cleared = (column: string) =>
  `CASE WHEN b.${column} IS NULL THEN NULL ELSE ARRAY(SELECT CASE WHEN u.o = ANY(g.ords) THEN NULL ELSE u.v END FROM unnest(b.${column}) WITH ORDINALITY u(v, o) ORDER BY u.o) END`;
const ARRAY_COLUMNS = [
  'name_ids',
  'content_ids',
  'sizes',
  'mtimes',
  'mtime_nanos',
  'ctimes',
  'inodes',
  'modes',
  'types',
  'deleted',
  'symlink_targets',
  'attrs',
  'uids',
  'gids',
];

@Injectable()
export class CatalogPurgeRepository {
  constructor(private readonly db: PrismaService) {}

  /**
   * Runs whose backup job is over (not under way, not resumable) and named at least one tape,
   * every one of which was recycled after the job ended (its volume, with the run's manifests and
   * data, is gone or awaits its format). Newest first, so the last run of a chain is looked at
   * before its base.
   */
  async expiredRuns(): Promise<ExpiredRun[]> {
    const { rows } = await this.query<{ id: string; num: number; level: 'FULL' | 'INCREMENTAL'; base_gone: boolean; has_dependents: boolean }>(
      'listing expired runs',
      `SELECT r.id::text AS id, r.num, r.level::text AS level,
              (r.base_run_id IS NULL OR NOT EXISTS (SELECT 1 FROM run b WHERE b.id = r.base_run_id)) AS base_gone,
              EXISTS (SELECT 1 FROM run d WHERE d.base_run_id = r.id) AS has_dependents
         FROM run r JOIN job j ON j.id = r.job_id
        CROSS JOIN LATERAL (
          SELECT array_agg(DISTINCT x.barcode) AS barcodes FROM (
            SELECT j.spec->>'barcode' AS barcode
            UNION ALL SELECT e->>'barcode' FROM jsonb_array_elements(CASE WHEN jsonb_typeof(j.spec->'tapes') = 'array' THEN j.spec->'tapes' ELSE '[]'::jsonb END) e
            UNION ALL SELECT e->>'barcode' FROM jsonb_array_elements(CASE WHEN jsonb_typeof(j.spec->'spanned') = 'array' THEN j.spec->'spanned' ELSE '[]'::jsonb END) e
          ) x WHERE x.barcode IS NOT NULL) t
        WHERE j.kind = 'BACKUP'
          AND j.status NOT IN ('QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE', 'INTERRUPTED')
          AND cardinality(t.barcodes) > 0
          AND NOT EXISTS (SELECT 1 FROM tape tp WHERE tp.barcode = ANY(t.barcodes)
                             AND (tp.recycled_at IS NULL OR tp.recycled_at <= COALESCE(j.finished_at, j.updated_at)))
        ORDER BY r.num DESC`,
    );
    return rows.map((r) => ({ id: r.id, num: r.num, level: r.level, baseGone: r.base_gone, hasDependents: r.has_dependents }));
  }

  /** Whether any version of the run has data (a non-empty file) whose content a tape still holds. */
  async runHoldsData(runNum: number): Promise<boolean> {
    const { rows } = await this.query<{ held: boolean }>(
      'checking what a run still has on tape',
      `SELECT EXISTS (SELECT 1 FROM file_version fv WHERE fv.run_num = $1 AND fv.content_id IS NOT NULL AND fv.size > 0
                         AND EXISTS (SELECT 1 FROM placement p WHERE p.content_id = fv.content_id)) AS held`,
      [runNum],
    );
    return rows[0].held;
  }

  /**
   * One batch: the run's next `limit` blocks after `afterBlockId` (keyset, skipping locked ones)
   * lose their versions with data whose content has no placement left: holes, or the block is
   * deleted when nothing is left in it. Their contents are queued for the content purge.
   */
  clearUnheldVersions(runNum: number, afterBlockId: string | null, limit: number): Promise<VersionBatch> {
    return this.transaction('removing file versions no tape holds', async (c) => {
      const { rows } = await c.query<{ blocks: number; last: string | null; versions: number; rewritten: number; deleted: number }>(
        `WITH picked AS (
           SELECT id FROM version_block WHERE run_num = $1 AND id > $2::bigint ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED),
         gone AS (
           SELECT b.id, array_agg(e.ord) AS ords, array_agg(DISTINCT e.content_id) AS contents, count(*) AS n,
                  (SELECT count(*) FROM unnest(b.name_ids) x WHERE x IS NOT NULL) AS live
             FROM version_block b JOIN picked p ON p.id = b.id
            CROSS JOIN LATERAL unnest(b.name_ids, b.content_ids, b.sizes) WITH ORDINALITY AS e(name_id, content_id, size, ord)
            WHERE e.name_id IS NOT NULL AND e.content_id IS NOT NULL AND e.size > 0
              AND NOT EXISTS (SELECT 1 FROM placement pl WHERE pl.content_id = e.content_id)
            GROUP BY b.id),
         deleted AS (
           DELETE FROM version_block b USING gone g WHERE b.id = g.id AND g.n = g.live RETURNING b.id),
         rewritten AS (
           UPDATE version_block b SET ${ARRAY_COLUMNS.map((col) => `${col} = ${cleared(col)}`).join(', ')},
                  mtime_days = ARRAY(SELECT DISTINCT (u.m AT TIME ZONE 'UTC')::date FROM unnest(b.mtimes) WITH ORDINALITY u(m, o)
                                      WHERE u.m IS NOT NULL AND NOT u.o = ANY(g.ords)),
                  content_buckets = ARRAY(SELECT DISTINCT u.c >> ${CONTENT_BUCKET_SHIFT} FROM unnest(b.content_ids) WITH ORDINALITY u(c, o)
                                           WHERE u.c IS NOT NULL AND NOT u.o = ANY(g.ords))
             FROM gone g WHERE b.id = g.id AND g.n < g.live RETURNING b.id),
         queued AS (
           INSERT INTO content_purge (content_id) SELECT DISTINCT c FROM gone, unnest(gone.contents) c ORDER BY 1 ON CONFLICT DO NOTHING)
         SELECT (SELECT count(*)::int FROM picked) AS blocks, (SELECT max(id)::text FROM picked) AS last,
                (SELECT COALESCE(sum(n), 0)::int FROM gone) AS versions,
                (SELECT count(*)::int FROM rewritten) AS rewritten, (SELECT count(*)::int FROM deleted) AS deleted`,
        [runNum, afterBlockId ?? '0', limit],
      );
      const r = rows[0];
      return { blocks: r.blocks, lastBlockId: r.last, versions: r.versions, blocksRewritten: r.rewritten, blocksDeleted: r.deleted };
    });
  }

  /**
   * One batch of a whole run leaving: up to `limit` of its blocks are deleted (their contents
   * queued), unless a run still in the catalog has this one as its base; then the run row itself
   * once it has no block left. `runDeleted` says whether the run is gone.
   */
  deleteRunBatch(runId: string, runNum: number, limit: number): Promise<VersionBatch & { runDeleted: boolean }> {
    return this.transaction('removing a run no tape holds', async (c) => {
      const { rows } = await c.query<{ blocks: number; versions: number }>(
        `WITH picked AS (
           SELECT id FROM version_block WHERE run_num = $1 AND NOT EXISTS (SELECT 1 FROM run d WHERE d.base_run_id = $2::uuid)
            ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED),
         deleted AS (
           DELETE FROM version_block b USING picked p WHERE b.id = p.id RETURNING b.name_ids, b.content_ids),
         queued AS (
           INSERT INTO content_purge (content_id) SELECT DISTINCT c FROM deleted, unnest(deleted.content_ids) c WHERE c IS NOT NULL ORDER BY 1
           ON CONFLICT DO NOTHING)
         SELECT count(*)::int AS blocks, COALESCE(sum((SELECT count(*) FROM unnest(d.name_ids) x WHERE x IS NOT NULL)), 0)::int AS versions FROM deleted d`,
        [runNum, runId, limit],
      );
      const { blocks, versions } = rows[0];
      let runDeleted = false;
      if (blocks < limit) {
        const gone = await c.query(
          `DELETE FROM run r WHERE r.id = $1::uuid AND NOT EXISTS (SELECT 1 FROM version_block b WHERE b.run_num = r.num)
              AND NOT EXISTS (SELECT 1 FROM run d WHERE d.base_run_id = r.id)`,
          [runId],
        );
        runDeleted = (gone.rowCount ?? 0) > 0;
      }
      return { blocks, lastBlockId: null, versions, blocksRewritten: 0, blocksDeleted: blocks, runDeleted };
    });
  }

  /**
   * One batch of the content queue: each content with no placement and no version left leaves the
   * catalog; the others (something still refers to them) just leave the queue. Done only while
   * no ingest batch is in flight (the try never waits): `locked` otherwise, and nothing changes.
   */
  purgeContents(limit: number): Promise<ContentBatch> {
    return this.transaction('removing contents no tape holds', async (c) => {
      const { rows: lock } = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::int, 0) AS ok', [CONTENT_PURGE_LOCK_SPACE]);
      if (!lock[0].ok) return { locked: true, contents: 0, dequeued: 0 };
      const { rows } = await c.query<{ contents: number; dequeued: number }>(
        `WITH batch AS (
           SELECT content_id FROM content_purge ORDER BY content_id LIMIT $1 FOR UPDATE SKIP LOCKED),
         gone AS (
           DELETE FROM content ct USING batch q WHERE ct.id = q.content_id
              AND NOT EXISTS (SELECT 1 FROM placement p WHERE p.content_id = ct.id)
              -- the GIN index on content_ids finds the blocks still naming it
              AND NOT EXISTS (SELECT 1 FROM version_block v WHERE v.content_ids @> ARRAY[ct.id])
           RETURNING ct.id),
         settled AS (
           DELETE FROM content_purge q USING batch b WHERE q.content_id = b.content_id RETURNING 1)
         SELECT (SELECT count(*)::int FROM gone) AS contents, (SELECT count(*)::int FROM settled) AS dequeued`,
        [limit],
      );
      return { locked: false, contents: rows[0].contents, dequeued: rows[0].dequeued };
    });
  }

  private async query<R extends pg.QueryResultRow>(action: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.db.pool.query<R>(sql, params);
    } catch (err) {
      throw translateDatabaseError(err, action);
    }
  }

  /** One short transaction, serialized with every other purge transaction (of any replica). */
  private async transaction<T>(action: string, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.db.pool.connect();
    } catch (err) {
      throw translateDatabaseError(err, action);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [CONTENT_PURGE_LOCK_SPACE, PURGE_RUNNER_KEY]);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw translateDatabaseError(err, action);
    } finally {
      client.release(broken);
    }
  }
}
