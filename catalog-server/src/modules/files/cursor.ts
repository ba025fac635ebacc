// Opaque Relay cursors. A cursor is base64url of a small versioned JSON document: the sort key of the
// last row seen (`k`) and a hash of the query it belongs to (`q`), so a cursor handed to a different
// filter is refused instead of silently skipping or repeating rows.
import { createHash } from 'node:crypto';
import { FilesErrorCode, filesError } from './files.errors.js';

const CURSOR_VERSION = 1;

export type CursorKey = Array<string | number>;

/** Stable JSON: object keys sorted, undefined and null members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Short fingerprint of a normalized query (a filter plus whatever else decides the row set). */
export function queryHash(query: unknown): string {
  return createHash('sha256').update(canonicalJson(query)).digest('base64url').slice(0, 16);
}

export function encodeCursor(key: CursorKey, hash: string): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, k: key, q: hash }), 'utf8').toString('base64url');
}

function invalidCursor(message: string): never {
  throw filesError(FilesErrorCode.INVALID_CURSOR, message);
}

/** Returns the key inside `cursor`, or throws INVALID_CURSOR when it is malformed or was made for
 *  another query. `arity` is the number of key parts the caller expects. */
export function decodeCursor(cursor: string, hash: string, arity: number): CursorKey {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    invalidCursor('the cursor is not one this server issued');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    invalidCursor('the cursor is not one this server issued');
  }
  const d = doc as { v?: unknown; k?: unknown; q?: unknown };
  if (typeof d !== 'object' || d === null || d.v !== CURSOR_VERSION || !Array.isArray(d.k) || typeof d.q !== 'string') {
    invalidCursor('the cursor is not one this server issued (or it is from an older version)');
  }
  if (d.q !== hash) invalidCursor('the cursor belongs to a different query: pass the same filter it was issued for');
  const key = d.k as unknown[];
  if (key.length !== arity || !key.every((p) => typeof p === 'string' || typeof p === 'number')) {
    invalidCursor('the cursor is not one this server issued');
  }
  return key;
}
