// What ltfsck does for the emulator: bring a volume's files back to its last persisted index. Files
// the index does not describe (written after the last sync), or whose size no longer matches it
// (replaced after the last sync), are deleted and reported as lost; index entries whose file is gone
// are dropped and reported too.
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FilePosition } from '../drive.js';

export interface RecoveryResult {
  files: Record<string, FilePosition>;
  lostFiles: string[];
}

export async function recoverToIndex(root: string, indexed: Record<string, FilePosition>): Promise<RecoveryResult> {
  const kept: Record<string, FilePosition> = {};
  const lost = new Set<string>();
  const onDisk = await walkFiles(root);
  for (const path of onDisk) {
    const position = indexed[path];
    const size = position ? (await stat(join(root, path))).size : -1;
    if (position && size === position.size) {
      kept[path] = position;
    } else {
      lost.add(path);
      await rm(join(root, path), { force: true });
    }
  }
  const present = new Set(onDisk);
  for (const path of Object.keys(indexed)) if (!present.has(path)) lost.add(path);
  await removeEmptyDirectories(root, true);
  return { files: kept, lostFiles: [...lost].sort() };
}

/** Relative paths ('/'-separated) of every regular file under root. */
export async function walkFiles(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(join(root, prefix), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const entry of entries) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await walkFiles(root, rel)));
    else out.push(rel);
  }
  return out;
}

/** Removes directories left empty under dir; returns whether dir itself is now empty. */
async function removeEmptyDirectories(dir: string, isRoot: boolean): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true });
  let empty = true;
  for (const entry of entries) {
    if (entry.isDirectory() && (await removeEmptyDirectories(join(dir, entry.name), false))) continue;
    empty = false;
  }
  if (empty && !isRoot) await rmdir(dir);
  return empty;
}
