// The entries of a restore that need no tape: directories, symlinks and empty files, then the
// other names of hard-linked files (linked to the one restored), then directories' modes, times
// and attributes, deepest first.
import { chmod, link, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { FileType, type RestoreItem, type RestoreSpec } from '@ferrite/proto';
import { mapRestorePath } from '../restore/restore-target.js';
import { isSpecial, makeSpecialFile, specialFileProblem } from '../restore/special-files.js';
import { throwIfCancelled, type JobContext } from './job-context.js';
import { applyXattrs, exists, FileFailure, itemsOf, leaveAlone, perFile, prepareParent, type Counters } from './restore-entries.js';

export async function restoreMetadataItems(ctx: JobContext, spec: RestoreSpec, target: string, targetReal: string, c: Counters): Promise<void> {
  const dirs: Array<{ dest: string; item: RestoreItem }> = [];
  for await (const page of itemsOf(ctx, spec, '')) {
    for (const item of page) {
      throwIfCancelled(ctx.signal);
      const dest = mapRestorePath(target, spec.stripPrefix, item.path);
      if (c.links.decide(item, dest) !== 'restore') continue;
      await perFile(ctx, item.path, c, async () => {
        if (item.type === FileType.FILE_TYPE_DIRECTORY) {
          await mkdir(dest, { recursive: true });
          dirs.push({ dest, item });
        } else {
          await restoreMetadataEntry(item, dest, targetReal, spec.overwrite, c);
        }
        c.filesDone++;
      });
      if (c.xattrs.due) await applyXattrs(ctx, c);
    }
  }
  await makeHardLinks(ctx, targetReal, spec.overwrite, c);
  // Deepest first, so setting a child's times does not disturb its parent's afterwards.
  dirs.sort((a, b) => b.dest.length - a.dest.length);
  for (const { dest, item } of dirs) {
    await perFile(
      ctx,
      item.path,
      c,
      async () => {
        await chmod(dest, item.mode & 0o7777);
        await c.times.set(dest, item.mtimeMs, item.mtimeNanos, false);
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
async function restoreMetadataEntry(item: RestoreItem, dest: string, targetReal: string, overwrite: boolean, c: Counters): Promise<void> {
  if (!overwrite && (await exists(dest))) {
    c.skipped++;
    return;
  }
  // Refused before anything at the target changes.
  const refused = isSpecial(item.type) ? specialFileProblem(item.type, process.getuid?.() === 0) : null;
  if (refused) throw new FileFailure(refused);
  await prepareParent(targetReal, dest);
  await rm(dest, { force: true });
  if (isSpecial(item.type)) {
    await makeSpecialFile(dest, item.type, item.mode, item.rdevMajor, item.rdevMinor).catch((err: Error) => {
      throw new FileFailure(err.message);
    });
    await chmod(dest, item.mode & 0o7777);
    await c.times.set(dest, item.mtimeMs, item.mtimeNanos, false);
  } else if (item.type === FileType.FILE_TYPE_SYMLINK) {
    await symlink(item.symlinkTarget, dest);
    await c.times.set(dest, item.mtimeMs, item.mtimeNanos, true);
  } else {
    await writeFile(dest, '', { mode: item.mode & 0o7777 });
    await chmod(dest, item.mode & 0o7777);
    await c.times.set(dest, item.mtimeMs, item.mtimeNanos, false);
  }
  c.links.restoredAt(item, dest);
  c.xattrs.add({ path: dest, entryPath: item.path, xattrs: item.xattrs ?? [] });
}

/**
 * The other names of files this restore brought back, made hard links to them (the inode already
 * has its bytes, mode, times and attributes). One whose file was not restored fails alone.
 */
async function makeHardLinks(ctx: JobContext, targetReal: string, overwrite: boolean, c: Counters): Promise<void> {
  for (const { item, dest, group } of c.links.deferred) {
    throwIfCancelled(ctx.signal);
    await perFile(ctx, item.path, c, async () => {
      if (!overwrite && (await exists(dest))) return leaveAlone(ctx, dest, 0, c);
      const target = c.links.targetOf(group);
      if (!target) throw new FileFailure(`it is a hard link of ${JSON.stringify(group)}, which was not restored`);
      await prepareParent(targetReal, dest);
      await rm(dest, { force: true });
      await link(target, dest);
      c.filesDone++;
    });
  }
}
