// Validation and normalization of a `files` filter: globs translated, paths normalized, ranges and
// sizes checked. The normalized filter is also what a cursor's query hash covers. Pure.
import { FilesErrorCode, filesError } from './files.errors.js';
import { translateGlob, type GlobMatcher } from './glob.js';
import type { DbFileType } from './ingest-plan.js';
import { normalizePath } from './paths.js';

/** The filter as callers give it (the GraphQL input has this shape). */
export interface FileFilterLike {
  nameGlob?: string | null;
  caseInsensitive?: boolean | null;
  pathPrefix?: string | null;
  host?: string | null;
  modifiedAfter?: Date | null;
  modifiedBefore?: Date | null;
  archivedAfter?: Date | null;
  archivedBefore?: Date | null;
  sizeMin?: number | null;
  sizeMax?: number | null;
  maxCopies?: number | null;
  sha256?: string | null;
  tape?: string | null;
  runId?: string | null;
  type?: DbFileType | null;
  includeDeleted?: boolean | null;
}

export interface NormalizedFileFilter {
  name?: GlobMatcher & { glob: string; caseInsensitive: boolean };
  host?: string;
  pathPrefix?: string;
  mtimeFrom?: Date;
  mtimeTo?: Date;
  archivedFrom?: Date;
  archivedTo?: Date;
  sizeMin?: number;
  sizeMax?: number;
  maxCopies?: number;
  sha256Hex?: string;
  tape?: string;
  runId?: string;
  type?: DbFileType;
  includeDeleted: boolean;
}

export const MAX_PAGE_SIZE = 1000;

function badArgument(message: string, details: Record<string, unknown> = {}): never {
  throw filesError(FilesErrorCode.INVALID_ARGUMENT, message, details);
}

/** `first` must be 1..1000: a page is one bounded query. */
export function checkPageSize(first: number | null | undefined, fallback = 50): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    badArgument(`first must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`, { first });
  }
  return n;
}

function date(value: Date | null | undefined, field: string): Date | undefined {
  if (value === null || value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) badArgument(`${field} is not a valid date-time`, { field });
  return value;
}

function size(value: number | null | undefined, field: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) badArgument(`${field} must be a whole number of bytes >= 0, got ${value}`, { field });
  return value;
}

function text(value: string | null | undefined, field: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.length === 0) badArgument(`${field} is empty; leave it out to not filter on it`, { field });
  return value;
}

function range<T extends Date | number>(from: T | undefined, to: T | undefined, what: string): void {
  if (from !== undefined && to !== undefined && from > to) {
    const show = (v: T) => (v instanceof Date ? v.toISOString() : String(v));
    throw filesError(FilesErrorCode.INVALID_RANGE, `${what}: the lower bound ${show(from)} is after the upper bound ${show(to)}`, { what });
  }
}

export function normalizeFileFilter(filter: FileFilterLike | null | undefined): NormalizedFileFilter {
  const f = filter ?? {};
  const out: NormalizedFileFilter = { includeDeleted: f.includeDeleted ?? false };
  const glob = f.nameGlob ?? undefined;
  if (glob !== undefined) out.name = { ...translateGlob(glob), glob, caseInsensitive: f.caseInsensitive ?? false };
  const prefix = text(f.pathPrefix, 'pathPrefix');
  if (prefix !== undefined) out.pathPrefix = normalizePath(prefix, 'pathPrefix');
  out.host = text(f.host, 'host');
  out.mtimeFrom = date(f.modifiedAfter, 'modifiedAfter');
  out.mtimeTo = date(f.modifiedBefore, 'modifiedBefore');
  range(out.mtimeFrom, out.mtimeTo, 'modifiedAfter/modifiedBefore');
  out.archivedFrom = date(f.archivedAfter, 'archivedAfter');
  out.archivedTo = date(f.archivedBefore, 'archivedBefore');
  range(out.archivedFrom, out.archivedTo, 'archivedAfter/archivedBefore');
  out.sizeMin = size(f.sizeMin, 'sizeMin');
  out.sizeMax = size(f.sizeMax, 'sizeMax');
  range(out.sizeMin, out.sizeMax, 'sizeMin/sizeMax');
  if (f.maxCopies !== null && f.maxCopies !== undefined) {
    if (!Number.isSafeInteger(f.maxCopies) || f.maxCopies < 0) badArgument(`maxCopies must be a whole number >= 0, got ${f.maxCopies}`, { field: 'maxCopies' });
    out.maxCopies = f.maxCopies;
  }
  if (f.sha256 !== null && f.sha256 !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(f.sha256)) badArgument('sha256 must be 64 hexadecimal digits', { sha256: f.sha256 });
    out.sha256Hex = f.sha256.toLowerCase();
  }
  out.tape = text(f.tape, 'tape');
  out.runId = text(f.runId, 'runId');
  if (f.type !== null && f.type !== undefined) out.type = f.type;
  return out;
}
