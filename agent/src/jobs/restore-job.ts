// RESTORE: one tape at a time, items in the server's start-block order so the tape only moves
// forward; every file is written to a temporary name, verified against its SHA-256, then renamed
// into place with its mode and mtime. Directories' times are set last.
import { createHash } from 'node:crypto';
import { chmod, lstat, lutimes, mkdir, open, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { FileType, type RestoreItem, type RestoreSpec } from '@ferrite/proto';
import { assertNoEscapeOnDisk, mapRestorePath, RestoreTargetError, validateTargetDirectory } from '../restore/restore-target.js';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { ensureLoaded, mountChecked } from './tape-handling.js';
import { readLabel } from './volume-label.js';
import type { MountedVolume } from '../drives/drive.js';

interface Counters {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  skipped: number;
  failed: string[];
}

export async function runRestoreJob(ctx: JobContext, spec: RestoreSpec): Promise<string> {
  let target: string;
  try {
    target = validateTargetDirectory(spec.targetDirectory, ctx.config.allowedRestoreRoots);
    // Check every mapping before a single byte moves, so a bad selection changes nothing.
    for (const item of [...spec.tapes.flatMap((t) => t.items), ...spec.metadataItems]) mapRestorePath(target, spec.stripPrefix, item.path);
  } catch (err) {
    if (err instanceof RestoreTargetError) throw new JobError(err.code, err.message);
    throw err;
  }
  await mkdir(target, { recursive: true });
  const counters: Counters = {
    bytesDone: 0,
    bytesTotal: spec.tapes.reduce((n, t) => n + t.items.reduce((m, i) => m + (i.location?.length ?? 0), 0), 0),
    filesDone: 0,
    filesTotal: spec.tapes.reduce((n, t) => n + t.items.length, 0) + spec.metadataItems.length,
    skipped: 0,
    failed: [],
  };
  const targetReal = path.resolve(target);

  for (const tape of spec.tapes) {
    throwIfCancelled(ctx.signal);
    await ensureLoaded(ctx, tape.barcode);
    const volume = await mountChecked(ctx, true);
    try {
      const label = await readLabel(volume).catch(() => null);
      if (label && label.barcode !== tape.barcode) throw new JobError('LABEL_MISMATCH', `tape in drive is labelled ${label.barcode}, expected ${tape.barcode}`);
      for (const item of tape.items) {
        throwIfCancelled(ctx.signal);
        const dest = mapRestorePath(target, spec.stripPrefix, item.path);
        ctx.reporter.progress({ ...counters, currentFile: item.path, currentTape: tape.barcode });
        await restoreFile(ctx, volume, item, dest, targetReal, spec.overwrite, counters);
      }
    } finally {
      await volume.unmount();
    }
  }

  await restoreMetadataItems(ctx, spec, target, targetReal, counters);
  await ctx.reporter.finalProgress({ ...counters, currentFile: '', currentTape: '' });
  if (counters.failed.length) {
    throw new JobError('CHECKSUM_MISMATCH', `${counters.failed.length} file(s) failed verification and were not restored: ${counters.failed.slice(0, 5).join(', ')}`);
  }
  return `restored ${counters.filesDone - counters.skipped} entries (${counters.bytesDone} bytes) to ${target}${counters.skipped ? `; ${counters.skipped} existing left alone` : ''}`;
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(() => true, () => false);
}

async function restoreFile(ctx: JobContext, volume: MountedVolume, item: RestoreItem, dest: string, targetReal: string, overwrite: boolean, c: Counters): Promise<void> {
  const loc = item.location;
  if (!loc) throw new JobError('INVALID_SPEC', `${item.path} has no tape location`);
  if (!overwrite && (await exists(dest))) {
    c.skipped++;
    c.filesDone++;
    c.bytesDone += loc.length;
    await ctx.reporter.note('info', `${dest} exists; left alone (overwrite is off)`);
    return;
  }
  await mkdir(path.dirname(dest), { recursive: true });
  await assertNoEscapeOnDisk(targetReal, dest).catch((err: RestoreTargetError) => {
    throw new JobError(err.code ?? 'RESTORE_PATH_ESCAPES', err.message);
  });
  const partial = `${dest}.ferrite-partial`;
  const hash = createHash('sha256');
  await pipeline(
    volume.createReadStream(loc.containerPath, { start: loc.offset, end: loc.offset + loc.length - 1 }),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        c.bytesDone += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(partial, { mode: 0o600 }),
    { signal: ctx.signal },
  );
  const digest = hash.digest();
  if (item.sha256.length && !digest.equals(Buffer.from(item.sha256))) {
    await rm(partial, { force: true });
    c.failed.push(item.path);
    await ctx.reporter.note('error', `${item.path}: SHA-256 mismatch on read-back (tape ${loc.barcode}, ${loc.containerPath}@${loc.offset}); not restored`);
    return;
  }
  const fh = await open(partial, 'r');
  await fh.sync();
  await fh.close();
  await chmod(partial, item.mode & 0o7777);
  await utimes(partial, new Date(item.mtimeMs), new Date(item.mtimeMs));
  await rename(partial, dest);
  c.filesDone++;
}

async function restoreMetadataItems(ctx: JobContext, spec: RestoreSpec, target: string, targetReal: string, c: Counters): Promise<void> {
  const dirs: Array<{ dest: string; item: RestoreItem }> = [];
  for (const item of spec.metadataItems) {
    throwIfCancelled(ctx.signal);
    const dest = mapRestorePath(target, spec.stripPrefix, item.path);
    c.filesDone++;
    if (item.type === FileType.FILE_TYPE_DIRECTORY) {
      await mkdir(dest, { recursive: true });
      dirs.push({ dest, item });
      continue;
    }
    if (!spec.overwrite && (await exists(dest))) {
      c.skipped++;
      continue;
    }
    await mkdir(path.dirname(dest), { recursive: true });
    await assertNoEscapeOnDisk(targetReal, dest).catch((err: RestoreTargetError) => {
      throw new JobError(err.code ?? 'RESTORE_PATH_ESCAPES', err.message);
    });
    await rm(dest, { force: true });
    const when = new Date(item.mtimeMs);
    if (item.type === FileType.FILE_TYPE_SYMLINK) {
      await symlink(item.symlinkTarget, dest);
      await lutimes(dest, when, when);
    } else {
      await writeFile(dest, '', { mode: item.mode & 0o7777 });
      await chmod(dest, item.mode & 0o7777);
      await utimes(dest, when, when);
    }
  }
  // Deepest first, so setting a child's times does not disturb its parent's afterwards.
  dirs.sort((a, b) => b.dest.length - a.dest.length);
  for (const { dest, item } of dirs) {
    await chmod(dest, item.mode & 0o7777);
    const when = new Date(item.mtimeMs);
    await utimes(dest, when, when);
  }
}
