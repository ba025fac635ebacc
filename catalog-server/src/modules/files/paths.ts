// Absolute host paths as the catalog stores them. A path is kept byte-for-byte as the agent sent it
// (spaces, quotes, newlines, `%`, `_`, `\`, `[` are ordinary characters); only the shape is checked:
// absolute, no empty, "." or ".." components, no NUL. Trailing slashes are dropped so "/data/" and
// "/data" name the same directory. Prefix tests are per component: "/data/a" is not under "/data/ab".
import { FilesErrorCode, filesError } from './files.errors.js';

export const ROOT = '/';

/** Why `path` is not a usable absolute path, or null when it is (after normalizePath). */
export function pathProblem(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0) return 'the path is empty';
  if (path[0] !== '/') return 'the path is not absolute (it must start with "/")';
  if (path.includes('\0')) return 'the path contains a NUL character';
  // Substring tests instead of a split: this runs for every record of every ingest batch.
  const p = stripTrailingSlashes(path);
  if (p === ROOT) return null;
  if (p.includes('//')) return 'the path contains an empty component ("//")';
  if (p.includes('/./') || p.endsWith('/.')) return 'the path contains a "." component';
  if (p.includes('/../') || p.endsWith('/..')) return 'the path contains a ".." component';
  return null;
}

/** Drops trailing slashes (keeping the root "/"). */
export function stripTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  return path.slice(0, end);
}

/** Normalizes an absolute path, or throws INVALID_PATH naming the problem. */
export function normalizePath(path: string, what = 'path'): string {
  const problem = pathProblem(path);
  if (problem) throw filesError(FilesErrorCode.INVALID_PATH, `${what} ${JSON.stringify(path)}: ${problem}`, { path });
  return stripTrailingSlashes(path);
}

/** Parent directory of a normalized path; null for the root. */
export function parentPath(path: string): string | null {
  if (path === ROOT) return null;
  const slash = path.lastIndexOf('/');
  return slash === 0 ? ROOT : path.slice(0, slash);
}

/** Last component of a normalized path; "" for the root. */
export function baseName(path: string): string {
  return path === ROOT ? '' : path.slice(path.lastIndexOf('/') + 1);
}

/** Full path of an entry from its directory path and name (the root entry has name ""). */
export function joinPath(directory: string, name: string): string {
  if (name === '') return directory;
  return directory === ROOT ? `/${name}` : `${directory}/${name}`;
}

/** True when `path` is `prefix` or lies under it, comparing whole components. */
export function isUnderOrEqual(path: string, prefix: string): boolean {
  if (prefix === ROOT) return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** Escapes `\`, `%` and `_` so a string is literal inside LIKE ... ESCAPE '\'. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Depth of a normalized path: "/" is 0, "/a" is 1. */
export function pathDepth(path: string): number {
  if (path === ROOT) return 0;
  let depth = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) depth++;
  return depth;
}
