// Keeps Prisma and pg errors inside the repositories: a repository either translates an error it
// expects (a unique key taken, a row gone) into a domain FerriteError, or wraps it here as a plain
// internal error that names the operation. Either way callers never see a Prisma type.
import { Prisma } from '@ferrite/db';
import { FerriteError } from '../common/errors.js';

export class DatabaseError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`database error during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseError';
  }
}

/** Prisma P2002 (unique constraint) or PostgreSQL 23505, optionally on a given column. */
export function isUniqueViolation(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError) return err.code === 'P2002';
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/** Runs one repository operation; domain errors pass, everything else becomes a DatabaseError. */
export async function dbOperation<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof FerriteError || err instanceof DatabaseError) throw err;
    throw new DatabaseError(operation, err);
  }
}
