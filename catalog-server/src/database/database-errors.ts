// The one translator of database failures. Whatever the database layer throws (pg errors, Prisma
// errors wrapping driver-adapter errors) leaves a repository as a FerriteError: a statement that ran
// out of time is QUERY_TIMEOUT (the client can narrow its query), anything else CATALOG_ERROR naming
// the operation. The database's own message never reaches a client (it can name tables, columns and
// values); it travels as the error's `cause`, which the transports log.
import { Prisma } from '@ferrite/db';
import { FerriteError } from '../common/errors.js';

const QUERY_CANCELED = '57014';

/** Finds a PostgreSQL SQLSTATE anywhere in an error chain (pg puts it on `code`; Prisma's driver
 *  adapter nests it under `cause.originalCode` or `meta.driverAdapterError`). */
export function sqlState(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as Record<string, unknown>;
  for (const key of ['originalCode', 'code']) {
    const v = e[key];
    if (typeof v === 'string' && /^[0-9A-Z]{5}$/.test(v) && !v.startsWith('P')) return v;
  }
  for (const key of ['cause', 'meta', 'driverAdapterError']) {
    const found = sqlState(e[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Prisma's own error code (P2002, P2025...), when there is one. */
export function prismaCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^P\d{4}$/.test(code) ? code : undefined;
}

/** `action` says what was being done, as "while <action>" reads ("storing a file batch"). */
export function translateDatabaseError(err: unknown, action: string): FerriteError {
  if (err instanceof FerriteError) return err;
  if (sqlState(err) === QUERY_CANCELED) {
    return new FerriteError(
      'QUERY_TIMEOUT',
      `the catalog query took too long while ${action} and was cancelled; narrow the filter (a longer name fragment, a path prefix or a host)`,
      {},
      { cause: err },
    );
  }
  return new FerriteError(
    'CATALOG_ERROR',
    `the catalog database failed while ${action}; the server log has the details`,
    { sqlState: sqlState(err), prismaCode: prismaCode(err) },
    { cause: err },
  );
}

/** Prisma P2002 (unique constraint) or PostgreSQL 23505. */
export function isUniqueViolation(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError) return err.code === 'P2002';
  return sqlState(err) === '23505';
}

/** Runs one repository operation; domain errors pass, database failures are translated. */
export async function dbOperation<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translateDatabaseError(err, operation);
  }
}
