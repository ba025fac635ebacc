// The bookkeeping of a restore and the helpers every kind of entry uses: counters, one entry's
// failure (logged, counted, the restore going on), the temporary name and parent of a file, and
// an existing entry left alone.
import { randomBytes } from 'node:crypto';
import { lstat, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { JobProgress, RestoreItem, RestoreSpec } from '@ferrite/proto';
import { RestoreTargetError } from '../restore/restore-target.js';
import { fdPath, type SafeTree } from '../restore/safe-tree.js';
import type { Ownership } from '../restore/ownership.js';
import type { TimeSetter } from '../restore/file-times.js';
import type { HardLinkGroups } from '../restore/hard-link-groups.js';
import type { XattrWriter } from '../xattrs/xattr-writer.js';
import { JobError, type JobContext } from './job-context.js';

/**
 * The plan's entries on one tape ('' for those that need no tape), page by page: from the server
 * (RestoreItems) when the plan is streamed, else from the spec itself.
 */
export async function* itemsOf(ctx: JobContext, spec: RestoreSpec, barcode: string): AsyncGenerator<RestoreItem[]> {
  if (!spec.streamItems) {
    yield barcode === '' ? spec.metadataItems : (spec.tapes.find((t) => t.barcode === barcode)?.items ?? []);
    return;
  }
  if (!ctx.restoreItems) throw new JobError('AGENT_INTERNAL_ERROR', 'the restore streams its plan but the job has no RestoreItems source');
  for await (const page of ctx.restoreItems(barcode)) yield page.items;
}

export interface Counters {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  skipped: number;
  /** Sets restored entries' times (to the nanosecond where it can). */
  times: TimeSetter;
  /** The target, walked by directory descriptors (no symlink followed). */
  tree: SafeTree;
  /** Owners (as root) and the setuid/setgid/sticky bits dropped otherwise. */
  ownership: Ownership;
  /** Files that could not be restored, with why (already logged, path by path). */
  failed: Array<{ path: string; cause: string }>;
  /** Files spanning tapes, by destination: assembled segment by segment, tape after tape. */
  spanned: Map<string, Assembly>;
  /** Sets restored entries' extended attributes and ACLs, many entries per setfattr run. */
  xattrs: XattrWriter;
  /** Hard links: which entry brings a group's bytes, which ones are linked to it afterwards. */
  links: HardLinkGroups;
  /** Files whose bytes failed their SHA-256 (or could not be read), by destination, to read again
   *  from the next copy their item names (RestoreItem.alternates). */
  retries: Map<string, RestoreItem>;
}

/** A file spanning tapes being put together in a temporary file (`partial`, a name in `parent`, open
 *  as `file`); `done`/`skipped`/`failed` once settled. */
export type Assembly = { path: string; parent: FileHandle; partial: string; file: FileHandle; received: number } | 'done' | 'skipped' | 'failed';

/** A temporary file's name removed and its descriptors closed (a failed or unfinished file). */
export async function discardPartial(t: { parent: FileHandle; partial: string; file: FileHandle }): Promise<void> {
  await rm(fdPath(t.parent.fd, t.partial), { force: true }).catch(() => undefined);
  await closePartial(t);
}

export async function closePartial(t: { parent: FileHandle; file: FileHandle }): Promise<void> {
  await t.file.close().catch(() => undefined);
  await t.parent.close().catch(() => undefined);
}

/** How many failed paths the job's final message names (the job log has them all). */
const FAILED_NAMED_IN_MESSAGE = 5;

export function progressOf(c: Counters, currentFile: string, currentTape: string): JobProgress {
  return {
    bytesDone: c.bytesDone,
    bytesTotal: c.bytesTotal,
    filesDone: c.filesDone,
    filesTotal: c.filesTotal,
    filesFailed: c.failed.length,
    currentFile,
    currentTape,
  };
}

/** RESTORE_INCOMPLETE: how many of how many, and the first few paths with their causes. */
export function restoreIncomplete(c: Pick<Counters, 'failed' | 'filesTotal'>): JobError {
  const named = c.failed.slice(0, FAILED_NAMED_IN_MESSAGE).map((f) => `${JSON.stringify(f.path)} (${f.cause})`);
  const more = c.failed.length > named.length ? `, and ${c.failed.length - named.length} more (see the job's failedFiles)` : '';
  return new JobError('RESTORE_INCOMPLETE', `${c.failed.length} of ${c.filesTotal} files could not be restored: ${named.join(', ')}${more}`);
}

/**
 * Runs one entry's restore. A failure of that entry alone (a file-system error at the target, a
 * path that would escape it, a bad checksum) is logged with its path, counted, and the restore
 * goes on; a cancel or a failure of the job itself (wrong tape, drive error) still ends the job.
 * `alreadyCounted`: the entry is in filesDone already (a directory's second pass, for its times).
 */
export async function perFile(
  ctx: JobContext,
  entryPath: string,
  c: Counters,
  restore: () => Promise<void>,
  alreadyCounted = false,
  retried: (err: unknown) => boolean = () => false,
): Promise<void> {
  try {
    await restore();
  } catch (err) {
    if (ctx.signal.aborted || !isPerFileFailure(err)) throw err;
    const cause = causeOf(err);
    if (retried(err)) {
      await ctx.reporter.note('warn', `${entryPath}: ${cause}; another copy will be read`, entryPath);
      return;
    }
    c.failed.push({ path: entryPath, cause });
    if (!alreadyCounted) c.filesDone++;
    await ctx.reporter.note('error', `${entryPath}: not restored: ${cause}`, entryPath);
  }
}

/** Errors that belong to one entry: errno failures from the file system and per-entry refusals. */
export function isPerFileFailure(err: unknown): boolean {
  if (err instanceof FileFailure) return true;
  if (err instanceof JobError) return err.code === 'RESTORE_PATH_ESCAPES';
  if (err instanceof RestoreTargetError) return err.code === 'RESTORE_PATH_ESCAPES';
  return typeof (err as NodeJS.ErrnoException)?.code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

export function causeOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof FileFailure || err instanceof JobError || err instanceof RestoreTargetError) return err.message;
  // errno messages repeat the (possibly very long) path; the code and syscall say what went wrong.
  return `${e.code} (${e.syscall})`;
}

/** A failure of one entry that is not an errno (a checksum that does not match). */
export class FileFailure extends Error {}

/** Bytes read from tape that are not the file's (a SHA-256 mismatch) or could not be read at all:
 *  another copy may still have them. */
export class ReadFailure extends FileFailure {}

/**
 * A temporary name beside `dest`, short whatever dest's name is (a name of 250 bytes plus a suffix
 * would pass the 255-byte limit of every Linux file system), and unique in its directory.
 */
export function partialNameFor(dest: string): string {
  return path.join(path.dirname(dest), partialName());
}

export function partialName(): string {
  return `.ferrite-${randomBytes(8).toString('hex')}.partial`;
}

export async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** An existing file with overwrite off: counted as done (its bytes too) and said, not touched. */
export async function leaveAlone(ctx: JobContext, dest: string, bytes: number, c: Counters): Promise<void> {
  c.skipped++;
  c.filesDone++;
  c.bytesDone += bytes;
  await ctx.reporter.note('info', `${dest} exists; left alone (overwrite is off)`);
}

/**
 * Sets the extended attributes and ACLs collected so far. An entry whose attributes the target
 * refuses (ENOTSUP on a file system without them, EPERM for trusted.* without root) keeps its
 * bytes, mode and times, and is reported like any entry that could not be restored as it was.
 */
export async function applyXattrs(ctx: JobContext, c: Counters): Promise<void> {
  for (const f of await c.xattrs.flush()) {
    c.failed.push({ path: f.entryPath, cause: f.cause });
    await ctx.reporter.note('error', `${f.entryPath}: ${f.cause}`, f.entryPath);
  }
}
