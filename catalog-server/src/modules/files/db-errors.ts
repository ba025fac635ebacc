// Turns whatever the database layer throws (pg errors, Prisma errors wrapping driver-adapter errors)
// into a FerriteError, so nothing database-shaped leaves a repository. FerriteErrors pass through.
import { FerriteError } from '../../common/errors.js';
import { FilesErrorCode, filesError } from './files.errors.js';

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

export function toFerriteError(err: unknown, action: string): FerriteError {
  if (err instanceof FerriteError) return err;
  if (sqlState(err) === QUERY_CANCELED) {
    return filesError(
      FilesErrorCode.QUERY_TIMEOUT,
      `the catalog query took too long while ${action} and was cancelled; narrow the filter (a longer name fragment, a path prefix or a host)`,
    );
  }
  const message = err instanceof Error ? err.message.split('\n').filter(Boolean).at(-1) ?? err.message : String(err);
  return filesError(FilesErrorCode.CATALOG_ERROR, `the catalog database failed while ${action}: ${message}`, {
    sqlState: sqlState(err),
    prismaCode: prismaCode(err),
  });
}
