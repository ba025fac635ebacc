// Raw SQL for the repositories that need more than Prisma offers (set-based merges, cursors, COPY):
// run a statement or a transaction on the pg pool, with every database error turned into a
// FerriteError naming the action, so nothing database-shaped leaves a repository.
import type pg from 'pg';
import { translateDatabaseError } from '../../database/database-errors.js';

/** The rows of one statement. */
export async function queryRows<T extends object>(pool: pg.Pool, action: string, sql: string, values: unknown[]): Promise<T[]> {
  try {
    return (await pool.query<T>(sql, values)).rows;
  } catch (err) {
    throw translateDatabaseError(err, action);
  }
}

/** A pooled connection; a failure to get one is named like any other database error. */
async function connect(pool: pg.Pool, action: string): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw translateDatabaseError(err, action);
  }
}

/** Runs `work` in one transaction on one pooled connection: COMMIT on success, ROLLBACK on any error.
 *  A connection whose ROLLBACK failed is destroyed rather than returned to the pool. */
export async function inTransaction<T>(pool: pg.Pool, action: string, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool, action);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    throw translateDatabaseError(err, action);
  } finally {
    client.release(broken);
  }
}

/** One statement and its parameters, to run now or through a cursor. */
export interface SqlQuery {
  sql: string;
  values: unknown[];
}

/**
 * The rows of one statement, `pageSize` at a time, through a server-side cursor in a read-only
 * transaction: the database sorts once (spilling to disk if it must) and neither it nor Node holds
 * every row at once. `statementTimeout` (e.g. '15min') lifts the interactive limit for one big sort.
 */
export async function* cursorPages<T extends object>(
  pool: pg.Pool,
  action: string,
  query: SqlQuery,
  pageSize: number,
  statementTimeout?: string,
): AsyncGenerator<T[]> {
  const client = await connect(pool, action);
  let broken: Error | undefined;
  let open = false;
  try {
    await client.query('BEGIN READ ONLY');
    open = true;
    if (statementTimeout) await client.query(`SET LOCAL statement_timeout = '${statementTimeout}'`);
    await client.query(`DECLARE pages NO SCROLL CURSOR FOR ${query.sql}`, query.values);
    for (;;) {
      const { rows } = await client.query<T>(`FETCH ${Math.max(1, Math.floor(pageSize))} FROM pages`);
      if (rows.length === 0) break;
      yield rows;
    }
  } catch (err) {
    throw translateDatabaseError(err, action);
  } finally {
    if (open) await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    client.release(broken);
  }
}
