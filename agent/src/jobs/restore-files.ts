// A restored file's temporary copy and how it is put in place: created new beside its name
// (O_CREAT|O_EXCL|O_NOFOLLOW in its parent's descriptor), given its owner, mode and time through its
// own descriptor, renamed within that parent. No name is resolved again, so a symlink swapped in
// for a directory or for the temporary name cannot carry the write, chmod, chown or utime elsewhere.
import { lstat, open, rename, type FileHandle } from 'node:fs/promises';
import type { RestoreItem } from '@ferrite/proto';
import { fdPath, NEW_FILE_FLAGS } from '../restore/safe-tree.js';
import { applyOwnerAndMode } from '../restore/ownership.js';
import { FileFailure, partialName, type Counters } from './restore-entries.js';

/** A new temporary file beside `dest`: O_CREAT|O_EXCL|O_NOFOLLOW in its parent's descriptor, so it
 *  is always a file this restore made, never one a symlink points at. */
export async function createPartial(c: Counters, dest: string): Promise<{ parent: FileHandle; name: string; partial: string; file: FileHandle }> {
  const { parent, name } = await c.tree.parentOf(dest);
  const partial = partialName();
  try {
    return { parent, name, partial, file: await open(fdPath(parent.fd, partial), NEW_FILE_FLAGS, 0o600) };
  } catch (err) {
    await parent.close();
    throw err;
  }
}

/**
 * Makes the restored bytes durable, gives them the entry's owner, mode and time through the open
 * descriptor, and renames them into place within the parent's descriptor (the caller closes both).
 */
export async function putInPlace(temp: { parent: FileHandle; partial: string; file: FileHandle }, item: RestoreItem, dest: string, c: Counters): Promise<void> {
  const { parent, partial, file } = temp;
  await file.sync();
  await applyOwnerAndMode(file, item, c.ownership);
  await c.times.set(fdPath(file.fd), item.mtimeMs, item.mtimeNanos, false);
  const name = dest.slice(dest.lastIndexOf('/') + 1);
  await rename(fdPath(parent.fd, partial), fdPath(parent.fd, name));
  // Whoever swapped another entry in for the temporary name got that entry renamed, not ours: the
  // restored name must be the file written and checked here (lstat: nothing followed).
  const [placed, ours] = await Promise.all([lstat(fdPath(parent.fd, name)).catch(() => null), file.stat()]);
  if (!placed || placed.ino !== ours.ino || placed.dev !== ours.dev)
    throw new FileFailure('its temporary file was replaced by something else while it was restored: not restored');
  c.links.restoredAt(item, dest);
  // After the rename: setfattr names the entry by its final path in the log of a failure.
  c.xattrs.add({ path: dest, entryPath: item.path, xattrs: item.xattrs ?? [] });
}
