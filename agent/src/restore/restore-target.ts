// Where a restored entry lands. The target must lie under one of the agent's allowed roots, and no
// entry may escape the target: `..` and `.` components are refused here, for the whole plan, before
// anything is made; symlinks on disk are never followed (safe-tree.ts).
import path from 'node:path';

export class RestoreTargetError extends Error {
  constructor(
    readonly code: 'RESTORE_TARGET_INVALID' | 'RESTORE_TARGET_NOT_ALLOWED' | 'RESTORE_PATH_ESCAPES',
    message: string,
  ) {
    super(message);
  }
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function validateTargetDirectory(target: string, allowedRoots: string[]): string {
  if (!path.isAbsolute(target)) throw new RestoreTargetError('RESTORE_TARGET_INVALID', `restore target ${JSON.stringify(target)} is not an absolute path`);
  if (target.split('/').includes('..')) throw new RestoreTargetError('RESTORE_TARGET_INVALID', `restore target ${JSON.stringify(target)} contains '..'`);
  const resolved = path.resolve(target);
  if (!allowedRoots.some((root) => isInside(path.resolve(root), resolved))) {
    throw new RestoreTargetError('RESTORE_TARGET_NOT_ALLOWED', `restore target ${resolved} is outside this agent's allowed roots (${allowedRoots.join(', ')})`);
  }
  return resolved;
}

/** Maps an original absolute path to its place under the target, after stripping `stripPrefix`
 *  (component-wise). Pure: does not look at the file system. */
export function mapRestorePath(target: string, stripPrefix: string, original: string): string {
  let rel = original;
  const prefix = stripPrefix.replace(/\/+$/, '');
  if (prefix && (original === prefix || original.startsWith(prefix + '/'))) rel = original.slice(prefix.length);
  const parts = rel.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p === '.')) {
    throw new RestoreTargetError('RESTORE_PATH_ESCAPES', `entry ${JSON.stringify(original)} has a '.' or '..' component`);
  }
  const out = path.join(target, ...parts);
  if (!isInside(target, out)) throw new RestoreTargetError('RESTORE_PATH_ESCAPES', `entry ${JSON.stringify(original)} would land outside ${target}`);
  return out;
}
