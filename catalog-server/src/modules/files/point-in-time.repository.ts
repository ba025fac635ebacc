// Reads of the file index as it was at a point in time (see run-state.ts): one directory's entries,
// and every entry at or under a path (for a restore "as of").
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';
import { queryRows, type SqlQuery } from './sql-runner.js';
import { prefixCondition, toVersion, VERSION_COLUMNS, VERSION_FROM, type FileVersionRow, type RawVersion } from './file-search.repository.js';
import { chainCte, SqlParams, stateSubquery, type AsOf } from './run-state.js';

/** VERSION_FROM over the state instead of the whole table (same alias, so VERSION_COLUMNS fit). */
function fromState(filter: string): string {
  return VERSION_FROM.replace('FROM file_version fv', `FROM ${stateSubquery(filter)} fv`);
}

/** The live entries at or under `prefix` (the prefix itself included) on one host at a point in time. */
export function stateUnderQuery(asOf: AsOf, hostId: number, prefix: string): SqlQuery {
  const p = new SqlParams();
  const cte = chainCte(asOf, p);
  return {
    sql: `${cte} SELECT ${VERSION_COLUMNS} ${fromState(prefixCondition(prefix, hostId, p))} WHERE NOT fv.deleted ORDER BY d.path, n.name`,
    values: p.values,
  };
}

@Injectable()
export class PointInTimeRepository {
  constructor(private readonly db: PrismaService) {}

  private query<T extends object>(action: string, sql: string, values: unknown[]): Promise<T[]> {
    return queryRows<T>(this.db.pool, action, sql, values);
  }

  /** Host id of a run, or undefined when there is no such run. */
  async hostOfRun(runId: string): Promise<number | undefined> {
    const rows = await this.query<{ host_id: number }>('looking up a run', 'SELECT host_id FROM run WHERE id = $1::uuid', [runId]);
    return rows[0]?.host_id;
  }

  async directoryExists(hostId: number, path: string): Promise<boolean> {
    const rows = await this.query('looking up a directory', 'SELECT 1 FROM directory WHERE host_id = $1 AND path = $2', [hostId, path]);
    return rows.length > 0;
  }

  /** One page of a directory's live entries at `asOf`, by name (byte order), after `afterName`. */
  async listDirectory(asOf: AsOf, hostId: number, path: string, afterName: string | undefined, limit: number): Promise<FileVersionRow[]> {
    const p = new SqlParams();
    const cte = chainCte(asOf, p);
    const inDir = `fv.directory_id = (SELECT id FROM directory WHERE host_id = ${p.add(hostId)} AND path = ${p.add(path)})`;
    const conds = ['NOT fv.deleted', `n.name <> ''`];
    if (afterName !== undefined) conds.push(`n.name COLLATE "C" > ${p.add(afterName)}`);
    const rows = await this.query<RawVersion>(
      'listing a directory',
      `${cte} SELECT ${VERSION_COLUMNS} ${fromState(inDir)} WHERE ${conds.join(' AND ')} ORDER BY n.name COLLATE "C" LIMIT ${p.add(limit)}`,
      p.values,
    );
    return rows.map(toVersion);
  }
}
