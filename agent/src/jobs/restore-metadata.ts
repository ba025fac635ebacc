// The entries of a restore that need no tape: directories, symlinks and empty files, then the
// other names of hard-linked files (linked to the one restored), then directories' modes, times
// and attributes, deepest first. Every entry is made and changed through its parent directory's
// descriptor (restore/safe-tree.ts): a symlink swapped in meanwhile is never followed.
import { link, rm, symlink } from 'node:fs/promises';
import { FileType, type RestoreItem, type RestoreSpec } from '@ferrite/proto';
import { mapRestorePath } from '../restore/restore-target.js';
import { isSpecial, makeSpecialFile, specialFileProblem } from '../restore/special-files.js';
import { fdPath } from '../restore/safe-tree.js';
import { applyOwnerAndMode, applyOwnerNoFollow, keepsSpecialBits, losesSpecialBits, restoredMode } from '../restore/ownership.js';
import { throwIfCancelled, type JobContext } from './job-context.js';
import { applyXattrs, closePartial, discardPartial, exists, FileFailure, itemsOf, leaveAlone, perFile, type Counters } from './restore-entries.js';
import { createPartial, putInPlace } from './restore-files.js';

export async function restoreMetadataItems(ctx: JobContext, spec: RestoreSpec, target: string, c: Counters): Promise<void> {
  const dirs: Array<{ dest: string; item: RestoreItem }> = [];
  for await (const page of itemsOf(ctx, spec, '')) {
    for (const item of page) {
      throwIfCancelled(ctx.signal);
      const dest = mapRestorePath(target, spec.stripPrefix, item.path);
      if (c.links.decide(item, dest) !== 'restore') continue;
      await perFile(ctx, item.path, c, async () => {
        if (item.type === FileType.FILE_TYPE_DIRECTORY) {
          await c.tree.directory(dest, true);
          dirs.push({ dest, item });
        } else {
          await restoreMetadataEntry(item, dest, spec.overwrite, c);
        }
        c.filesDone++;
      });
      if (c.xattrs.due) await applyXattrs(ctx, c);
    }
  }
  await makeHardLinks(ctx, spec.overwrite, c);
  // Deepest first, so setting a child's times does not disturb its parent's afterwards.
  dirs.sort((a, b) => b.dest.length - a.dest.length);
  for (const { dest, item } of dirs) {
    await perFile(
      ctx,
      item.path,
      c,
      async () => {
        // The directory as the restore made or found it, opened without following a symlink.
        const dir = await c.tree.directory(dest, false);
        await applyOwnerAndMode(dir, item, c.ownership);
        await c.times.set(fdPath(dir.fd), item.mtimeMs, item.mtimeNanos, false);
        // Last, once everything inside exists: a default ACL set earlier would be inherited by
        // entries restored into the directory that never had it.
        c.xattrs.add({ path: dest, entryPath: item.path, xattrs: item.xattrs ?? [] });
      },
      true,
    );
  }
  await applyXattrs(ctx, c);
}

/** An empty file, a symlink, a FIFO or a device (no bytes on tape). */
async function restoreMetadataEntry(item: RestoreItem, dest: string, overwrite: boolean, c: Counters): Promise<void> {
  if (!overwrite && (await exists(dest))) {
    c.skipped++;
    return;
  }
  // Refused before anything at the target changes.
  const refused = isSpecial(item.type) ? specialFileProblem(item.type, c.ownership.asRoot) : null;
  if (refused) throw new FileFailure(refused);
  if (item.type !== FileType.FILE_TYPE_SYMLINK && !isSpecial(item.type)) {
    // An empty file: made like any file, in a temporary file of its own, then renamed into place.
    const temp = await createPartial(c, dest);
    await putInPlace(temp, item, dest, c).catch(async (err: unknown) => {
      await discardPartial(temp);
      throw err;
    });
    await closePartial(temp);
    return;
  }
  const { parent, name } = await c.tree.parentOf(dest);
  try {
    const at = fdPath(parent.fd, name);
    await rm(at, { force: true });
    if (isSpecial(item.type)) {
      // mknod -m sets the mode exactly; it cannot be set later without opening the entry (a device).
      const keepSpecial = keepsSpecialBits(item, c.ownership.asRoot);
      await makeSpecialFile(at, item.type, restoredMode(item.mode, keepSpecial), item.rdevMajor, item.rdevMinor).catch((err: Error) => {
        throw new FileFailure(err.message);
      });
      if (losesSpecialBits(item.mode, keepSpecial)) c.ownership.dropped(item.path, item.mode);
    } else {
      await symlink(item.symlinkTarget, at);
    }
    await applyOwnerNoFollow(at, item, c.ownership);
    // AT_SYMLINK_NOFOLLOW: the entry's own times, whatever it is.
    await c.times.set(at, item.mtimeMs, item.mtimeNanos, true);
  } finally {
    await parent.close();
  }
  c.links.restoredAt(item, dest);
  c.xattrs.add({ path: dest, entryPath: item.path, xattrs: item.xattrs ?? [] });
}

/**
 * The other names of files this restore brought back, made hard links to them (the inode already
 * has its bytes, mode, times and attributes). One whose file was not restored fails alone.
 */
async function makeHardLinks(ctx: JobContext, overwrite: boolean, c: Counters): Promise<void> {
  for (const { item, dest, group } of c.links.deferred) {
    throwIfCancelled(ctx.signal);
    await perFile(ctx, item.path, c, async () => {
      if (!overwrite && (await exists(dest))) return leaveAlone(ctx, dest, 0, c);
      const target = c.links.targetOf(group);
      if (!target) throw new FileFailure(`it is a hard link of ${JSON.stringify(group)}, which was not restored`);
      // Both names through their directories' descriptors: link(2) follows neither last component.
      const from = await c.tree.parentOf(target);
      const to = await c.tree.parentOf(dest).catch(async (err: unknown) => {
        await from.parent.close();
        throw err;
      });
      try {
        await rm(fdPath(to.parent.fd, to.name), { force: true });
        await link(fdPath(from.parent.fd, from.name), fdPath(to.parent.fd, to.name));
      } finally {
        await from.parent.close();
        await to.parent.close();
      }
      c.filesDone++;
    });
  }
}
