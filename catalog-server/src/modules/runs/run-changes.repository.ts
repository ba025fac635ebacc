// What a run changed compared with its base (chosen by RunsService.resolveBase): each of the run's
// versions is classified against the base state of the
// directories the run wrote in (their blocks in the base's chain), so the cost follows the size of
// the run, not of the base. Counts are stored on the run when its job succeeds.
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PrismaService } from '../../database/prisma.service.js';
import { inTransaction } from '../files/sql-runner.js';
import {
  afterCondition,
  prefixCondition,
  toVersion,
  VERSION_COLUMNS,
  VERSION_FROM,
  type FileVersionRow,
  type RawVersion,
} from '../files/file-search.repository.js';
import { FilesErrorCode, filesError } from '../files/files.errors.js';
import { chainCte, runNumOf, SqlParams, stateSubquery } from '../files/run-state.js';

export type ChangeKind = 'ADDED' | 'MODIFIED' | 'DELETED' | 'UNCHANGED';

export interface RunBase {
  runId: string;
  hostId: number;
  root: string;
  /** Requested level, and the level the run really has (INCREMENTAL without a base runs FULL). */
  requestedLevel: 'FULL' | 'INCREMENTAL';
  level: 'FULL' | 'INCREMENTAL';
  baseRunId: string | null;
  /** The backup's pool when it has dedup on. */
  dedup: { poolId: string; copies: number } | null;
}

export interface RunCounts {
  added: number;
  modified: number;
  deleted: number;
  unchanged: number;
}

/** `b`: the base's winning version (over a chain CTE of the base) of the entry `fv` names, if any.
 *  The base state is taken of the directories the run wrote in only, and joined in one go. */
function baseOfVersion(runParam: string): string {
  const dirsOfRun = `fv.directory_id IN (SELECT directory_id FROM version_block WHERE run_num = ${runNumOf(runParam)})`;
  return `LEFT JOIN ${stateSubquery(dirsOfRun)} b ON b.directory_id = fv.directory_id AND b.name_id = fv.name_id`;
}

/** Change kind of `fv` against `b`. Metadata-only changes (mtime, mode) count as UNCHANGED: the
 *  content is the same (the version is still recorded, so a restore brings the new times back). */
const KIND = `CASE
    WHEN fv.deleted THEN 'DELETED'
    WHEN b.type IS NULL OR b.deleted THEN 'ADDED'
    WHEN b.type = fv.type AND b.size = fv.size AND b.content_id IS NOT DISTINCT FROM fv.content_id
         AND b.symlink_target IS NOT DISTINCT FROM fv.symlink_target THEN 'UNCHANGED'
    ELSE 'MODIFIED' END`;

@Injectable()
export class RunChangesRepository {
  constructor(private readonly db: PrismaService) {}

  /** Counts of one run against its base (all added when it has none). */
  async countRun(runId: string): Promise<RunCounts> {
    return this.inTransaction('counting a run', async (c) => {
      const run = await this.runInfo(c, runId);
      if (!run.baseRunId) {
        const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM file_version WHERE run_num = ${runNumOf('$1')} AND NOT deleted`, [runId]);
        return { added: rows[0].n, modified: 0, deleted: 0, unchanged: 0 };
      }
      const p = new SqlParams();
      const cte = chainCte({ runId: run.baseRunId }, p);
      const runParam = p.add(runId);
      const under = prefixCondition(run.root, run.hostId, p);
      const { rows } = await c.query<{ added: number; modified: number; deleted: number; base_live: number }>(
        `${cte},
         classified AS (SELECT ${KIND} AS kind FROM file_version fv ${baseOfVersion(runParam)}
                         WHERE fv.run_num = ${runNumOf(runParam)} AND (NOT fv.deleted OR (b.type IS NOT NULL AND NOT b.deleted)))
         SELECT count(*) FILTER (WHERE kind = 'ADDED')::int AS added, count(*) FILTER (WHERE kind = 'MODIFIED')::int AS modified,
                count(*) FILTER (WHERE kind = 'DELETED')::int AS deleted,
                (SELECT count(*)::int FROM ${stateSubquery(under)} s WHERE NOT s.deleted) AS base_live
           FROM classified`,
        p.values,
      );
      const r = rows[0];
      return { added: r.added, modified: r.modified, deleted: r.deleted, unchanged: Math.max(0, r.base_live - r.modified - r.deleted) };
    });
  }

  /** One page of a run's versions with their change kind, by version id. */
  async changes(runId: string, kinds: ChangeKind[], afterId: string | undefined, limit: number): Promise<Array<{ kind: ChangeKind; version: FileVersionRow }>> {
    return this.inTransaction('listing the changes of a run', async (c) => {
      const run = await this.runInfo(c, runId);
      const p = new SqlParams();
      // Without a base the chain is empty: every version is ADDED (or a stray deletion marker).
      const cte = chainCte({ runId: run.baseRunId ?? '00000000-0000-0000-0000-000000000000' }, p);
      const runParam = p.add(runId);
      const conds = [`fv.run_num = ${runNumOf(runParam)}`];
      if (afterId !== undefined) conds.push(afterCondition(p.add(afterId)));
      const { rows } = await c.query<RawVersion & { kind: ChangeKind }>(
        `${cte}
         SELECT * FROM (SELECT ${VERSION_COLUMNS}, ${KIND} AS kind ${VERSION_FROM} ${baseOfVersion(runParam)} WHERE ${conds.join(' AND ')}) x
          WHERE x.kind = ANY(${p.add(kinds)}::text[]) ORDER BY x.id::bigint LIMIT ${p.add(limit)}`,
        p.values,
      );
      return rows.map((r) => ({ kind: r.kind, version: toVersion(r) }));
    });
  }

  private async runInfo(c: pg.PoolClient, runId: string): Promise<{ baseRunId: string | null; root: string; hostId: number }> {
    const { rows } = await c.query<{ base_run_id: string | null; root: string; host_id: number }>(
      'SELECT base_run_id::text AS base_run_id, root, host_id FROM run WHERE id = $1::uuid',
      [runId],
    );
    if (!rows[0]) throw filesError(FilesErrorCode.RUN_NOT_FOUND, `run ${JSON.stringify(runId)} does not exist`, { runId });
    return { baseRunId: rows[0].base_run_id, root: rows[0].root, hostId: rows[0].host_id };
  }

  private inTransaction<T>(action: string, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.db.pool, action, work);
  }
}
