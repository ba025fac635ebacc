// Reads the base state of an incremental run for the agent: the live entries under one root of a
// base run's chain, in (directory path, name) byte order, through a server-side cursor so a base of
// millions of entries streams in fixed-size pages (the database sorts once, spilling to disk if it
// must; neither it nor Node ever holds the whole base in memory).
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';
import { translateDatabaseError } from '../../database/database-errors.js';
import { cursorPages } from './sql-runner.js';
import { prefixCondition } from './file-search.repository.js';
import type { DbFileType } from './ingest-plan.js';
import { chainCte, resumeChainCte, runNumOf, SqlParams, stateSubquery } from './run-state.js';

export interface BaseEntryRow {
  dir: string;
  name: string;
  type: DbFileType;
  size: number;
  mtime_ms: number;
  mtime_nanos: number | null;
  ctime_ms: number | null;
  inode: number | null;
  mode: number;
  sha256: Buffer | null;
  symlink_target: string | null;
  sufficient: boolean;
  /** The version is the job's own run's: confirmed by an earlier attempt. */
  confirmed: boolean;
}

/** Where the base comes from: a finished base run, or (a resumed attempt) the job's own run over
 *  its base, so the entries earlier attempts confirmed are streamed too, flagged. */
export type BaseChain = { baseRunId: string } | { ownRunId: string };

/** One sort of the whole base may take longer than an interactive query may. */
const BASE_STATEMENT_TIMEOUT = '15min';

@Injectable()
export class IncrementalBaseRepository {
  constructor(private readonly db: PrismaService) {}

  /**
   * Pages of the base state. `dedupPoolId`: when set (the backup's pool has dedup on), each file
   * says whether its content already has `copies` copies on distinct tapes of that pool.
   */
  /** How many entries (deletion markers included) a run already holds. */
  async countRunEntries(runId: string): Promise<number> {
    try {
      const rows = await this.db.client.$queryRaw<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM file_version WHERE run_num = (SELECT num FROM run WHERE id = ${runId}::uuid)`;
      return rows[0]?.n ?? 0;
    } catch (err) {
      throw translateDatabaseError(err, 'reading the run of a resumed job');
    }
  }

  async *baseEntries(
    from: BaseChain,
    hostId: number,
    root: string,
    dedup: { poolId: string; copies: number } | null,
    pageSize: number,
  ): AsyncGenerator<BaseEntryRow[]> {
    const p = new SqlParams();
    const cte = 'ownRunId' in from ? resumeChainCte(from.ownRunId, p) : chainCte({ runId: from.baseRunId }, p);
    const confirmed = 'ownRunId' in from ? `s.run_num = ${runNumOf(p.add(from.ownRunId))}` : 'false';
    const under = prefixCondition(root, hostId, p);
    const sufficient = dedup
      ? `(s.content_id IS NOT NULL AND (SELECT count(DISTINCT pl.tape_id) FROM placement pl JOIN tape t ON t.id = pl.tape_id
            WHERE pl.content_id = s.content_id AND pl.segment = 0 AND t.pool_id = ${p.add(dedup.poolId)}::uuid
              AND t.state NOT IN ('SUSPECT', 'RETIRED')) >= ${p.add(dedup.copies)})`
      : 'false';
    const sql = `${cte}
      SELECT d.path AS dir, n.name, s.type::text AS type, s.size::float8 AS size,
             (extract(epoch FROM s.mtime) * 1000)::float8 AS mtime_ms, s.mtime_nanos, (extract(epoch FROM s.ctime) * 1000)::float8 AS ctime_ms,
             s.inode::float8 AS inode, s.mode, ct.sha256, NULLIF(s.symlink_target, '') AS symlink_target, ${sufficient} AS sufficient, ${confirmed} AS confirmed
        FROM ${stateSubquery(under)} s
        JOIN directory d ON d.id = s.directory_id
        JOIN file_name n ON n.id = s.name_id
        LEFT JOIN content ct ON ct.id = s.content_id
       WHERE NOT s.deleted
       ORDER BY d.path COLLATE "C", n.name COLLATE "C"`;
    yield* cursorPages<BaseEntryRow>(this.db.pool, 'reading the base run', { sql, values: p.values }, pageSize, BASE_STATEMENT_TIMEOUT);
  }
}
