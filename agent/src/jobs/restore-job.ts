// RESTORE: one tape at a time, items in the server's start-block order so the tape only moves
// forward; every file is written to a temporary name, verified against its SHA-256, then renamed
// into place with its mode and mtime. Directories' times are set last.
// One file never fails the whole restore: a file that cannot be written (name too long for the
// target file system, EACCES, ENOSPC, a mismatching checksum, ...) is logged with its path and
// cause, the restore goes on with every other file, and the job ends RESTORE_INCOMPLETE.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { type RestoreItem, type RestoreSpec, type TapeLocation } from '@ferrite/proto';
import { mapRestorePath, RestoreTargetError, validateTargetDirectory } from '../restore/restore-target.js';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { checkRestoreTarget, isInside, resolveReal } from './job-policy.js';
import { ensureLoaded, mountChecked } from './tape-handling.js';
import { readLabel } from './volume-label.js';
import type { MountedVolume } from '../drives/drive.js';
import { openTimeSetter } from '../restore/file-times.js';
import { XattrWriter } from '../xattrs/xattr-writer.js';
import { HardLinkGroups } from '../restore/hard-link-groups.js';
import { FileWritable, ScatterWritable } from '../restore/sparse-writer.js';
import { SafeTree } from '../restore/safe-tree.js';
import { createPartial, putInPlace } from './restore-files.js';
import { OwnerNames } from '../backup/owner-names.js';
import {
  applyXattrs,
  closePartial,
  discardPartial,
  exists,
  itemsOf,
  leaveAlone,
  partialNameFor,
  perFile,
  progressOf,
  ReadFailure,
  restoreIncomplete,
  type Counters,
} from './restore-entries.js';
import { restoreMetadataItems } from './restore-metadata.js';

export { partialNameFor, restoreIncomplete };

/** Whether the item is one segment of a file spanning tapes (not the whole content). */
function isSegment(item: RestoreItem): boolean {
  const loc = item.location;
  // A sparse file's object (its data extents, packed) is put together the same way.
  return !!loc && (loc.fileOffset > 0 || loc.length < item.size || (loc.dataMap?.length ?? 0) > 0);
}

/** Every entry of the plan, tape after tape, then those that need no tape. */
async function* allItems(ctx: JobContext, spec: RestoreSpec): AsyncGenerator<RestoreItem[]> {
  for (const tape of spec.tapes) yield* itemsOf(ctx, spec, tape.barcode);
  yield* itemsOf(ctx, spec, '');
}

/** Files the plan restores: a file spanning tapes counts once, whatever its number of segments. */
function filesIn(spec: RestoreSpec): number {
  const items = spec.tapes.flatMap((t) => t.items);
  const spanned = new Set(items.filter(isSegment).map((i) => i.path));
  return items.filter((i) => !isSegment(i)).length + spanned.size + spec.metadataItems.length;
}

export async function runRestoreJob(ctx: JobContext, spec: RestoreSpec): Promise<string> {
  let target: string;
  // The runner checked it when the order came (job-policy.ts); again here for any other caller.
  await checkRestoreTarget(ctx.config, spec.targetDirectory);
  try {
    target = validateTargetDirectory(spec.targetDirectory, ctx.config.allowedRestoreRoots);
    // Check every mapping before a single byte moves, so a bad selection changes nothing (a
    // streamed plan is read twice for it: once here, once to restore).
    for await (const page of allItems(ctx, spec)) for (const item of page) mapRestorePath(target, spec.stripPrefix, item.path);
  } catch (err) {
    if (err instanceof RestoreTargetError) throw new JobError(err.code, err.message);
    throw err;
  }
  // Made and opened only now, once every entry's place has been checked: a bad plan makes nothing.
  const roots = await Promise.all(ctx.config.allowedRestoreRoots.map((r) => resolveReal(r)));
  const tree = await SafeTree.open(target, (real) => roots.some((root) => isInside(root, real))).catch((err: unknown) => {
    throw err instanceof RestoreTargetError ? new JobError('POLICY_DENIED', err.message) : err;
  });
  const asRoot = ctx.asRoot ?? process.getuid?.() === 0;
  const dropped: string[] = [];
  const counters: Counters = {
    bytesDone: 0,
    bytesTotal: spec.streamItems ? spec.bytesTotal : spec.tapes.reduce((n, t) => n + t.items.reduce((m, i) => m + (i.location?.length ?? 0), 0), 0),
    filesDone: 0,
    filesTotal: spec.streamItems ? spec.entriesTotal : filesIn(spec),
    skipped: 0,
    times: await openTimeSetter(),
    tree,
    ownership: {
      asRoot,
      names: asRoot ? await OwnerNames.load() : null,
      dropped: (entry, mode) => {
        dropped.push(entry);
        ctx.log.debug({ path: entry, mode: mode.toString(8) }, 'setuid/setgid/sticky bits dropped (the agent is not root)');
      },
    },
    xattrs: new XattrWriter(),
    links: new HardLinkGroups(),
    failed: [],
    spanned: new Map(),
    retries: new Map(),
  };
  try {
    const summary = await restoreAll(ctx, spec, target, counters).finally(() => noteDropped(ctx, dropped));
    return summary;
  } finally {
    await counters.times.close();
    await tree.close();
  }
}

/** One line for the entries that lost setuid/setgid/sticky bits (each is in the agent's debug log). */
async function noteDropped(ctx: JobContext, dropped: string[]): Promise<void> {
  if (dropped.length === 0) return;
  const named = dropped
    .slice(0, 3)
    .map((p) => JSON.stringify(p))
    .join(', ');
  await ctx.reporter.note(
    'warn',
    `${dropped.length} entries restored without their setuid, setgid or sticky bits: their owners could not be given back (the agent does not run as root, or the catalog does not know them), and such a bit without its owner would hand its rights to the wrong user (${named}${dropped.length > 3 ? ', ...' : ''})`,
  );
}

async function restoreAll(ctx: JobContext, spec: RestoreSpec, target: string, counters: Counters): Promise<string> {
  if (!counters.times.exact)
    await ctx.reporter.note('warn', 'times are restored to the microsecond, not the nanosecond: perl (perl-base) is needed for utimensat');
  const where = { target, stripPrefix: spec.stripPrefix, overwrite: spec.overwrite };
  for (const tape of spec.tapes) await readTape(ctx, tape.barcode, itemsOf(ctx, spec, tape.barcode), where, counters);
  await failUnfinishedSpans(ctx, counters);
  await readOtherCopies(ctx, where, counters);

  await restoreMetadataItems(ctx, spec, target, counters);
  await ctx.reporter.finalProgress(progressOf(counters, '', ''));
  if (counters.failed.length) throw restoreIncomplete(counters);
  return `restored ${counters.filesDone - counters.skipped} entries (${counters.bytesDone} bytes) to ${target}${counters.skipped ? `; ${counters.skipped} existing left alone` : ''}`;
}

/** Where a restore puts what it reads. */
interface Destination {
  target: string;
  stripPrefix: string;
  overwrite: boolean;
}

/** Loads and mounts one tape and restores its items, page by page, in the order given (tape order). */
async function readTape(ctx: JobContext, barcode: string, pages: AsyncIterable<RestoreItem[]>, to: Destination, counters: Counters): Promise<void> {
  throwIfCancelled(ctx.signal);
  await ensureLoaded(ctx, barcode);
  const volume = await mountChecked(ctx, true);
  try {
    const label = await readLabel(volume).catch(() => null);
    if (label && label.barcode !== barcode) throw new JobError('LABEL_MISMATCH', `tape in drive is labelled ${label.barcode}, expected ${barcode}`);
    for await (const page of pages) {
      for (const item of page) {
        throwIfCancelled(ctx.signal);
        const dest = mapRestorePath(to.target, to.stripPrefix, item.path);
        ctx.reporter.progress(progressOf(counters, item.path, barcode));
        // Another name of a file this restore brings: linked to it at the end, its bytes not read.
        if (counters.links.decide(item, dest) !== 'restore') {
          counters.bytesDone += item.location?.length ?? 0;
          continue;
        }
        const restore = isSegment(item) ? restoreSegment : restoreFile;
        // Bytes that fail their SHA-256 are read again from another copy, when the plan names one.
        const retry = (err: unknown) => {
          if (!(err instanceof ReadFailure) || item.alternates.length === 0) return false;
          counters.retries.set(dest, item);
          return true;
        };
        await perFile(ctx, item.path, counters, () => restore(ctx, volume, item, dest, to.overwrite, counters), false, retry);
        if (counters.xattrs.due) await applyXattrs(ctx, counters);
      }
    }
    await applyXattrs(ctx, counters);
  } finally {
    await volume.unmount();
  }
}

/**
 * Reads each file whose bytes failed again from its next copy (the lowest copy number among its
 * alternates), tape by tape in tape order, until it is restored or no copy is left. A tape of
 * another copy that cannot be loaded (taken out, busy in another drive) fails its files, not the job.
 */
async function readOtherCopies(ctx: JobContext, to: Destination, c: Counters): Promise<void> {
  while (c.retries.size) {
    const round = [...c.retries];
    c.retries.clear();
    const byTape = new Map<string, RestoreItem[]>();
    for (const [dest, item] of round) {
      const copy = item.alternates[0].copy;
      const next = item.alternates.filter((l) => l.copy === copy);
      const rest = item.alternates.filter((l) => l.copy !== copy);
      c.spanned.delete(dest);
      for (const location of next) {
        c.bytesTotal += location.length;
        const list = byTape.get(location.barcode) ?? [];
        byTape.set(location.barcode, list);
        list.push({ ...item, location, alternates: rest });
      }
      await ctx.reporter.note('warn', `${item.path}: reading it from copy ${copy || 1} on ${[...new Set(next.map((l) => l.barcode))].join(', ')}`, item.path);
    }
    for (const [barcode, items] of [...byTape].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      items.sort((a, b) => compareTapePosition(a.location!, b.location!));
      try {
        await readTape(ctx, barcode, single(items), to, c);
      } catch (err) {
        if (ctx.signal.aborted || !(err instanceof JobError) || !UNREADABLE_COPY.has(err.code)) throw err;
        await failUnreadable(ctx, items, to, c, err.message);
      }
    }
    await failUnfinishedSpans(ctx, c);
  }
}

/** Errors of loading another copy's tape that end that copy's attempt, not the job. */
const UNREADABLE_COPY = new Set(['TAPE_NOT_IN_LIBRARY', 'TAPE_IN_OTHER_DRIVE', 'LABEL_MISMATCH']);

/** The files of a copy whose tape could not be read: failed once each (a spanned one's later pieces are passed over). */
async function failUnreadable(ctx: JobContext, items: RestoreItem[], to: Destination, c: Counters, cause: string): Promise<void> {
  for (const item of items) {
    const dest = mapRestorePath(to.target, to.stripPrefix, item.path);
    const state = c.spanned.get(dest);
    if (state === 'failed' || state === 'done' || state === 'skipped') continue;
    if (state) await discardPartial(state);
    if (isSegment(item)) c.spanned.set(dest, 'failed');
    c.failed.push({ path: item.path, cause: `its other copy could not be read: ${cause}` });
    c.filesDone++;
    await ctx.reporter.note('error', `${item.path}: not restored: its other copy could not be read: ${cause}`, item.path);
  }
}

async function* single<T>(page: T[]): AsyncGenerator<T[]> {
  yield page;
}

/** Tape order on one tape: partition, then start block, then offset inside the container. */
function compareTapePosition(a: TapeLocation, b: TapeLocation): number {
  return (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : 0) || a.startBlock - b.startBlock || a.offset - b.offset;
}

async function restoreFile(ctx: JobContext, volume: MountedVolume, item: RestoreItem, dest: string, overwrite: boolean, c: Counters): Promise<void> {
  const loc = item.location;
  if (!loc) throw new JobError('INVALID_SPEC', `${item.path} has no tape location`);
  if (!overwrite && (await exists(dest))) return leaveAlone(ctx, dest, loc.length, c);
  const temp = await createPartial(c, dest);
  try {
    await writeVerifiedCopy(ctx, volume, item, temp.file, c, item.sha256);
    await putInPlace(temp, item, dest, c);
  } catch (err) {
    await discardPartial(temp);
    throw err;
  }
  await closePartial(temp);
  c.filesDone++;
}

/**
 * One segment of a file spanning tapes: written at its offset into the file's temporary copy and
 * checked against the segment's SHA-256; once every byte is there the whole file is checked against
 * its own SHA-256 and put in place. A failed segment fails the file once: its other segments are
 * passed over.
 */
async function restoreSegment(ctx: JobContext, volume: MountedVolume, item: RestoreItem, dest: string, overwrite: boolean, c: Counters): Promise<void> {
  const loc = item.location!;
  let state = c.spanned.get(dest);
  if (state === 'skipped' || state === 'failed' || state === 'done') {
    c.bytesDone += loc.length;
    return;
  }
  if (!state) {
    if (!overwrite && (await exists(dest))) {
      c.spanned.set(dest, 'skipped');
      return leaveAlone(ctx, dest, loc.length, c);
    }
    // Held open until the file is complete: later segments (other tapes) write through the same descriptor.
    const temp = await createPartial(c, dest);
    state = { path: item.path, parent: temp.parent, partial: temp.partial, file: temp.file, received: 0 };
    c.spanned.set(dest, state);
  }
  try {
    await writeVerifiedCopy(ctx, volume, item, state.file, c, loc.segmentSha256, loc.fileOffset);
    state.received += loc.length;
    if (state.received < storedBytes(item)) return;
    // A sparse file: its last hole, if any, is the file's end.
    if (loc.dataMap?.length) await state.file.truncate(item.size);
    const whole = await sha256Of(state.file);
    if (item.sha256.length && !whole.equals(Buffer.from(item.sha256)))
      throw new ReadFailure(`SHA-256 mismatch of the whole file after its last segment (tape ${loc.barcode}, segment ${loc.segment})`);
    await putInPlace(state, item, dest, c);
    await closePartial(state);
    c.spanned.set(dest, 'done');
    c.filesDone++;
  } catch (err) {
    c.spanned.set(dest, 'failed');
    await discardPartial(state);
    throw err;
  }
}

/** The bytes the item's object holds: a sparse file's data extents, or the whole file. */
function storedBytes(item: RestoreItem): number {
  const map = item.location?.dataMap ?? [];
  return map.length ? map.reduce((n, e) => n + e.length, 0) : item.size;
}

async function sha256Of(file: FileHandle): Promise<Buffer> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  for (let at = 0; ;) {
    const { bytesRead } = await file.read(buffer, 0, buffer.length, at);
    if (bytesRead === 0) return hash.digest();
    hash.update(buffer.subarray(0, bytesRead));
    at += bytesRead;
  }
}

/** A file spanning tapes whose segments did not all come is not restored: said, and its partial removed. */
async function failUnfinishedSpans(ctx: JobContext, c: Counters): Promise<void> {
  for (const [dest, state] of c.spanned) {
    if (typeof state !== 'object') continue;
    await discardPartial(state);
    c.spanned.set(dest, 'failed');
    const cause = `only ${state.received} bytes of its segments were read`;
    c.failed.push({ path: state.path, cause });
    c.filesDone++;
    await ctx.reporter.note('error', `${state.path}: not restored: ${cause}`, state.path);
  }
}

/**
 * Copies the item's bytes from tape into `partial` (at `at`, for a segment), checking them against
 * `expected` on the way (nothing to check when it is empty).
 */
async function writeVerifiedCopy(
  ctx: JobContext,
  volume: MountedVolume,
  item: RestoreItem,
  file: FileHandle,
  c: Counters,
  expected: Uint8Array,
  at?: number,
): Promise<void> {
  const loc = item.location!;
  const hash = createHash('sha256');
  const source = volume.createReadStream(loc.containerPath, { start: loc.offset, end: loc.offset + loc.length - 1 });
  let unreadable: NodeJS.ErrnoException | undefined;
  // A read error of the tape's file (EIO on a bad spot) is the copy's fault: another copy may be readable.
  source.once('error', (err: NodeJS.ErrnoException) => (unreadable = typeof err.code === 'string' && typeof err.syscall === 'string' ? err : undefined));
  await pipeline(
    source,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        c.bytesDone += chunk.length;
        yield chunk;
      }
    },
    // Into the temporary file's descriptor: never reopened by name, so never through a symlink.
    loc.dataMap?.length ? new ScatterWritable(file, loc.dataMap, at ?? 0) : new FileWritable(file, at ?? 0),
    { signal: ctx.signal },
  ).catch((err: unknown) => {
    if (unreadable && !ctx.signal.aborted)
      throw new ReadFailure(`cannot read tape ${loc.barcode} (${loc.containerPath}): ${unreadable.code} (${unreadable.syscall})`);
    throw err;
  });
  const digest = hash.digest();
  if (expected.length && !digest.equals(Buffer.from(expected))) {
    const segment = at === undefined ? '' : `, segment ${loc.segment} at file offset ${loc.fileOffset}`;
    throw new ReadFailure(`SHA-256 mismatch on read-back (tape ${loc.barcode}, ${loc.containerPath}@${loc.offset}${segment})`);
  }
}
