// BACKUP: scan the sources, pack small files into tar bundles and stream large files whole, hashing
// every byte once on its way to tape; checkpoint (manifest + index sync + report) as the job goes.
// Small files go first, then large ones, so only one object is ever open on the tape. For a pool
// with copies N every object goes to N tapes at once (copy-volumes.ts), one location per copy.
import { createHash } from 'node:crypto';
import { IncrementalLevel, type DataExtent, type BackupSpec, type FileRecord, type TapeLocation } from '@ferrite/proto';
import { TapeError } from '../drives/drive.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { teeWritable, type CopyVolume, type CopyVolumes } from '../backup/copy-volumes.js';
import { SegmentingWritable, type NextVolume } from '../backup/segmenting-writable.js';
import { BundleWriter } from '../tape-layout/bundle-writer.js';
import { Checkpointer, type JobHeader } from '../backup/checkpoint.js';
import { hashingCopy, type CopyResult } from '../backup/hashing-copy.js';
import { sparseCopy } from '../backup/sparse-copy.js';
import { dataMapOf, mayBeSparse, probeDataMaps } from '../backup/sparse-map.js';
import { SourceSkipped } from '../backup/source-file.js';
import { scanSources, SourceNotFoundError, type SourceEntry } from '../backup/source-scan.js';
import { readSmallFiles } from '../backup/small-file-reader.js';
import { planRun, type RunPlan } from '../backup/run-plan.js';
import { bundleMemberName, bundlePath, continuedNotePath, largeFilePath, retriedFilePath } from '../backup/tape-paths.js';
import { changeSince, refreshed } from '../backup/change-check.js';
import { statNow } from '../backup/fs-stat.js';
import { ChangedFiles } from './changed-files.js';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { readXattrs } from '../xattrs/xattr-reader.js';
import { selectXattrs } from '../xattrs/xattr-policy.js';
import { recordOf } from '../backup/source-record.js';
import { attachOwnerNames } from '../backup/owner-names.js';
import { linkRecords, planHardLinks } from '../backup/hard-links.js';
import { mountCopies, TapeChanger, writeJobHeader } from './tape-changer.js';

const DEFAULTS = { smallFileThreshold: 1024 * 1024, bundleTargetBytes: 256 * 1024 * 1024, checkpointBytes: 1024 ** 3, checkpointFiles: 5000 };

interface Progress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Files skipped because they could not be read as they are now (logged one by one). */
  filesFailed: number;
  currentFile: string;
}

function initialProgress(files: SourceEntry[], entries: number): Progress {
  return { bytesDone: 0, bytesTotal: files.reduce((n, e) => n + storedSize(e), 0), filesDone: 0, filesTotal: entries, filesFailed: 0, currentFile: '' };
}

/** Where written files' records go: the checkpoint, with the records of their other names. */
interface Written {
  checkpoint: Checkpointer;
  /** The other names (hard links) of each file written, by its path (hard-links.ts). */
  links: Map<string, SourceEntry[]>;
  /** Files that changed while they were read: what onChange makes of them. */
  changes: ChangedFiles<SourceEntry>;
}

/** A written file's record, then one per other name of it, sharing its content. */
function addWritten(to: Written, record: FileRecord, progress: Progress): void {
  to.checkpoint.add(record);
  const others = to.links.get(record.path) ?? [];
  for (const r of linkRecords(record, others)) to.checkpoint.add(r);
  progress.filesDone += others.length;
}

/** A file that cannot be read is skipped, logged with its path and counted; the backup goes on.
 *  Its other names (hard links: the same file) are skipped with it. */
async function skipUnreadable(ctx: JobContext, path: string, reason: string, progress: Progress, to?: Written): Promise<void> {
  for (const p of [path, ...(to?.links.get(path) ?? []).map((e) => e.path)]) {
    progress.filesFailed++;
    await ctx.reporter.note('warn', `${p}: ${reason}${p === path ? '' : ` (a hard link of ${path})`}; skipped`, p);
  }
}

/** The spec fields older callers (tests, benchmarks) may leave out: FULL, no content comparison. */
type BackupJobSpec = Omit<BackupSpec, 'level' | 'compareContent' | 'runIds' | 'copies' | 'onChange'> &
  Partial<Pick<BackupSpec, 'level' | 'compareContent' | 'runIds' | 'copies' | 'onChange'>>;

/** Packing and checkpoint settings of the spec, with the defaults for those it leaves at 0. */
function packingOptions(spec: BackupJobSpec) {
  return {
    smallFileThreshold: spec.smallFileThreshold || DEFAULTS.smallFileThreshold,
    bundleTargetBytes: spec.bundleTargetBytes || DEFAULTS.bundleTargetBytes,
    checkpointBytes: spec.checkpointBytes || DEFAULTS.checkpointBytes,
    checkpointFiles: spec.checkpointFiles || DEFAULTS.checkpointFiles,
  };
}

export async function runBackupJob(ctx: JobContext, spec: BackupJobSpec): Promise<string> {
  const opts = packingOptions(spec);
  if (!spec.barcode) throw new JobError('INVALID_SPEC', 'backup job without a tape barcode');
  if (spec.paths.length === 0) throw new JobError('INVALID_SPEC', 'backup job without paths');

  // Everything that can be refused is checked before the tape is touched.
  const { entries: scanned, skipped: namesSkipped } = await scanOrRefuse(ctx, spec);
  // Compared with each root's base run: what is unchanged is not written again (see run-plan.ts).
  const runPlan = await planRun(scanned, spec.paths, {
    level: spec.level || IncrementalLevel.INCREMENTAL_LEVEL_FULL,
    compareContent: spec.compareContent ?? false,
    baseSource: ctx.baseSource,
    note: (line) => ctx.reporter.note('info', line),
  });
  const entries = runPlan.record;
  const recorded = [...entries, ...runPlan.byReference.map((r) => r.entry)];
  await attachXattrs(ctx, recorded);
  await attachOwnerNames(recorded);
  // The other names of a file written here are recorded with it, not written again.
  const links = planHardLinks(recorded);
  const extraRecords: FileRecord[] = [...runPlan.byReference.map(({ entry, sha256 }) => ({ ...recordOf(entry), sha256 })), ...runPlan.deleted];
  const files = entries.filter((e) => e.type === 'file' && e.size > 0 && !e.hardLinkTo);
  await attachDataMaps(ctx, files);
  // A sparse file is its own object whatever its size (a bundle member holds a file's bytes as they are).
  const small = files.filter((e) => e.size < opts.smallFileThreshold && !e.dataMap);
  const large = files.filter((e) => e.size >= opts.smallFileThreshold || e.dataMap);
  const progress = initialProgress(files, entries.length + extraRecords.length);
  progress.filesFailed = namesSkipped;
  const changes = new ChangedFiles<SourceEntry>(spec.onChange);
  const mounted: { volumes?: CopyVolumes } = {};
  // The tape copy 1 writes now: it changes when the backup continues on a next tape.
  const report = (force = false) => ctx.reporter.progress({ ...progress, currentTape: mounted.volumes?.barcodes[0] ?? spec.barcode }, force);
  report(true);

  const volumes = (mounted.volumes = await mountCopies(ctx, spec.barcode));
  const job = { jobId: ctx.jobId, attempt: ctx.attempt, host: ctx.agentName };
  const header = () => jobHeaderOf(job, spec, runPlan.runs, volumes.barcodes);
  try {
    await writeJobHeader(volumes, header());
  } catch (err) {
    await volumes.unmount();
    throw err;
  }
  const checkpoint = new Checkpointer(volumes, ctx.reporter, job, { bytes: opts.checkpointBytes, files: opts.checkpointFiles });
  const changer = new TapeChanger(ctx, volumes, header);
  let failure: unknown;
  try {
    // Metadata-only entries (directories, symlinks, empty files, files whose content is already on
    // tape, deletion markers) need no tape space.
    for (const r of extraRecords) {
      checkpoint.add(r);
      progress.filesDone++;
    }
    for (const e of entries) {
      // A file with bytes is recorded once they are on tape; its other names with it (addWritten).
      if (e.type === 'file' && e.size > 0) continue;
      checkpoint.add(recordOf(e));
      progress.filesDone++;
    }
    await ctx.backupHooks?.afterPlan?.();
    const written: Written = { checkpoint, links, changes };
    await writeSmallFiles(ctx, changer, small, opts, written, progress, report);
    for (const [i, e] of large.entries()) {
      throwIfCancelled(ctx.signal);
      await writeLargeFile(ctx, changer, e, written, progress, report);
      if (checkpoint.due) await checkpoint.flush();
      await changer.continueAtEarlyWarning(checkpoint, large.length - i - 1);
    }
    await readChangedAgain(ctx, changer, written, progress, report);
    await checkpoint.flush();
  } catch (err) {
    failure = err;
    // What was completely written before the failure is still confirmed and reported.
    await checkpoint.flush().catch((e: Error) => ctx.log.error({ err: e.message }, 'final checkpoint failed'));
  } finally {
    await markFullTapes(ctx, volumes);
    await volumes.unmount();
  }
  if (failure instanceof TapeError && failure.code === 'END_OF_MEDIUM') {
    const which = volumes.copies.length > 1 ? `a tape of ${volumes.barcodes.join(', ')}` : `tape ${spec.barcode}`;
    throw new JobError('TAPE_FULL', `${which} is full; ${checkpoint.reportedFiles} entries were saved on every copy and reported`);
  }
  if (failure instanceof Error) throw failure;
  if (failure) throw new Error(`backup failed: ${JSON.stringify(failure)}`);
  await ctx.reporter.finalProgress({ ...progress, currentTape: volumes.barcodes[0] });
  // onChange FAIL: everything readable is saved and confirmed, and the job still fails, naming them.
  const changedFailure = changes.failure();
  if (changedFailure) throw changedFailure;
  const to = volumes.copies.length > 1 ? `${volumes.barcodes.join(' and ')} (${volumes.copies.length} copies)` : spec.barcode;
  return backupSummary(checkpoint.reportedFiles, progress, runPlan, to, changes.flagged.length);
}

/** The scan of the job's sources, and how many entries it skipped that count as files not saved
 *  (names that are not UTF-8); a missing source is BACKUP_PATH_NOT_FOUND. */
async function scanOrRefuse(ctx: JobContext, spec: BackupJobSpec): Promise<{ entries: SourceEntry[]; skipped: number }> {
  let skipped = 0;
  try {
    const entries = await scanSources(spec.paths, spec.excludes, (issue) => {
      if (issue.skipped) skipped++;
      void ctx.reporter.note('warn', `${issue.path}: ${issue.reason}`);
    });
    return { entries, skipped };
  } catch (err) {
    if (err instanceof SourceNotFoundError) throw new JobError('BACKUP_PATH_NOT_FOUND', err.message);
    throw err;
  }
}

/** Finds the holes of the files that may have any (fewer blocks than bytes); without perl none is
 *  treated as sparse (written whole, holes as zeros) and the log says so. */
async function attachDataMaps(ctx: JobContext, files: SourceEntry[]): Promise<void> {
  const candidates = files.filter((e) => mayBeSparse(e.size, e.blocks));
  const answers = await probeDataMaps(candidates.map((e) => e.path));
  if (!answers) {
    await ctx.reporter.note('warn', `${candidates.length} sparse files are stored whole (holes as zeros): perl could not probe their holes`);
    return;
  }
  candidates.forEach((e, i) => (e.dataMap = dataMapOf(answers[i], e.size) ?? undefined));
}

/**
 * Reads the extended attributes and ACLs of what the backup records (after the base comparison, so
 * an incremental reads them only for what changed: a changed attribute changes the ctime). An
 * entry over the limit is recorded without them and named in the log; without getfattr nothing is
 * recorded and the log says so once. Neither fails the job.
 */
async function attachXattrs(ctx: JobContext, entries: SourceEntry[]): Promise<void> {
  const read = await readXattrs(
    entries.map((e) => e.path),
    ctx.signal,
  );
  if (!read.available) {
    await ctx.reporter.note('warn', `extended attributes and ACLs are not recorded: ${read.reason}`);
    return;
  }
  const asRoot = process.getuid?.() === 0;
  for (const e of entries) {
    const all = read.byPath.get(e.path);
    if (!all) continue;
    const { xattrs, problem } = selectXattrs(all, asRoot);
    if (problem) await ctx.reporter.note('warn', `${e.path}: ${problem}`, e.path);
    e.xattrs = xattrs;
  }
}

/**
 * A tape the backup leaves in its early-warning zone (its last file ended there, it hit the end of
 * medium, or no next tape could be had) is reported full, so the catalog never picks it again.
 * A tape the backup moved on from was marked FULL by the server when it named the next one.
 */
async function markFullTapes(ctx: JobContext, volumes: CopyVolumes): Promise<void> {
  const full = await volumes.atEarlyWarning().catch(() => []);
  for (const copy of full) (ctx.fullTapes ??= new Set()).add(copy.barcode);
}

/** The job's last line: what was written, what was not and why, and where to. */
function backupSummary(entries: number, progress: Progress, runPlan: RunPlan, to: string, flagged: number): string {
  const skipped = runPlan.unchanged ? `, ${runPlan.unchanged} unchanged` : '';
  const refs = runPlan.byReference.length ? `, ${runPlan.byReference.length} already on tape` : '';
  const gone = runPlan.deleted.length ? `, ${runPlan.deleted.length} deleted` : '';
  const kept = runPlan.confirmed ? `, ${runPlan.confirmed} confirmed by an earlier attempt and not written again` : '';
  const unreadable = progress.filesFailed ? `; ${progress.filesFailed} could not be read and were skipped (see the job log)` : '';
  const changed = flagged ? `; ${flagged} changed while they were read and were saved as read, flagged (see the job log)` : '';
  return `backed up ${entries} entries (${progress.bytesDone} bytes${refs}${gone}${skipped}${kept}) to ${to}${unreadable}${changed}`;
}

function jobHeaderOf(job: { jobId: string; attempt: number; host: string }, spec: BackupJobSpec, runs: RunPlan['runs'], tapes: string[]): JobHeader {
  return {
    v: 1,
    job: job.jobId,
    attempt: job.attempt,
    host: job.host,
    startedAt: new Date().toISOString(),
    runs: runs.map((r, i) => ({
      id: spec.runIds?.[i] || (i === 0 ? spec.runId : '') || '',
      root: r.root,
      level: r.level === IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL ? 'INCREMENTAL' : 'FULL',
      baseRunId: r.baseRunId,
    })),
    tapes,
  };
}

/** The least room any copy has before its early-warning zone. */
async function roomOnEveryCopy(volumes: CopyVolumes): Promise<number> {
  const rooms = await Promise.all(volumes.copies.map(async (c) => (await c.volume.space()).bytesBeforeEarlyWarning));
  return Math.min(...rooms);
}

async function writeSmallFiles(
  ctx: JobContext,
  changer: TapeChanger,
  small: SourceEntry[],
  opts: { bundleTargetBytes: number },
  to: Written,
  progress: Progress,
  report: () => void,
): Promise<void> {
  const volume = changer.volumes;
  const checkpoint = to.checkpoint;
  let bundleIndex = 0;
  let open: {
    writer: BundleWriter;
    path: string;
    members: Array<{ record: FileRecord; offset: number; length: number }>;
    /** A bundle closes at its target size or where the fullest copy's tape reaches early warning. */
    limit: number;
  } | null = null;

  const close = async () => {
    if (!open) return;
    await open.writer.finish();
    const copies = await volume.positions(open.path);
    for (const m of open.members) {
      addWritten(to, { ...m.record, locations: copies.map((at) => at(m.offset, m.length)) }, progress);
    }
    open = null;
  };

  let i = -1;
  for await (const { item: e, result, after } of readSmallFiles(small)) {
    i++;
    throwIfCancelled(ctx.signal);
    if (result instanceof Error) {
      await skipUnreadable(ctx, e.path, result.message, progress, to);
      if (i === small.length - 1) await close().then(() => checkpoint.flush());
      continue;
    }
    const data = result;
    // Compared with the scan: a file that changed while it was read is flagged or read again (RETRY).
    const why = changeSince(e, after!, data.length);
    const action = why === null ? null : to.changes.onChanged(e, false);
    if (why !== null) await ctx.reporter.note('warn', ChangedFiles.noteOf(e.path, why, action!), e.path);
    if (action === 'retry') {
      if (i === small.length - 1) await close().then(() => checkpoint.flush());
      continue;
    }
    if (!open) {
      const path = bundlePath(ctx.jobId, ctx.attempt, ++bundleIndex);
      const limit = Math.min(opts.bundleTargetBytes, await roomOnEveryCopy(volume));
      open = { writer: new BundleWriter(await volume.createWriteStream(path)), path, members: [], limit };
    }
    const { offset, length } = await open.writer.add({ name: bundleMemberName(e.path), size: data.length, mode: e.mode, mtimeMs: e.mtimeMs, data });
    const record = { ...recordOf(e), size: data.length, sha256: createHash('sha256').update(data).digest(), changedDuringBackup: action === 'flag' };
    open.members.push({ record, offset, length });
    progress.bytesDone += data.length;
    progress.filesDone++;
    progress.currentFile = e.path;
    report();
    const last = i === small.length - 1;
    if (last || open.writer.bytesWritten >= open.limit || checkpoint.pendingCount + open.members.length >= checkpoint.limits.files) {
      await close();
      if (checkpoint.due || last) await checkpoint.flush();
      await changer.continueAtEarlyWarning(checkpoint, small.length - i - 1);
    }
  }
}

/**
 * A large file, read and hashed once and teed to every copy; each copy cuts it into segments where
 * its tape ends and goes on on its next tape (segmenting-writable.ts), so copies span independently.
 * A file that may not fit on some copy is started only once what is pending is confirmed, so the
 * manifests of a tape are on that tape before the job leaves it.
 */
async function writeLargeFile(
  ctx: JobContext,
  changer: TapeChanger,
  e: SourceEntry,
  to: Written,
  progress: Progress,
  report: () => void,
  again?: { dest: string },
): Promise<void> {
  const dest = again?.dest ?? largeFilePath(ctx.jobId, ctx.attempt, e.path);
  let firstChunk = true;
  progress.currentFile = e.path;
  report();
  // Room for the file and for it growing by a read chunk while it is read.
  if (storedSize(e) + 8 * 1024 * 1024 > (await roomOnEveryCopy(changer.volumes))) await to.checkpoint.flush();
  let writers: SegmentingWritable[] = [];
  let result: CopyResult & { storedSha256?: Buffer };
  try {
    // A sparse file: only its data extents go to tape (sparse-copy.ts).
    const copy: typeof hashingCopy = e.dataMap ? (src, open, onBytes, signal) => sparseCopy(src, e.dataMap!, e.size, open, onBytes, signal) : hashingCopy;
    result = await copy(
      e.path,
      async () => {
        const next: NextVolume = async (full, piece) => {
          if (piece) await writeContinuedNote(ctx, full, e, piece);
          return changer.change(full, `in the middle of ${e.path}`);
        };
        writers = changer.volumes.copies.map((c) => new SegmentingWritable(c, dest, next));
        return writers.length === 1 ? writers[0] : teeWritable(writers);
      },
      (n) => {
        progress.bytesDone += n;
        report();
        if (firstChunk) ctx.backupHooks?.duringRead?.(e.path);
        firstChunk = false;
      },
      ctx.signal,
    );
  } catch (err) {
    // A sparse file that shrank under its read (sparse-copy.ts) left no whole file to record as
    // read: RETRY reads it again at the end; otherwise it is skipped like any unreadable file.
    if (err instanceof SourceSkipped && err.code === 'CHANGED' && !again && to.changes.onShrunk(e)) {
      await ctx.reporter.note('warn', `${e.path}: ${err.message}; it is read again at the end of the job`, e.path);
      return;
    }
    if (err instanceof SourceSkipped) {
      await skipUnreadable(ctx, e.path, err.message, progress, to);
      return;
    }
    if ((err as Error).name === 'AbortError') throw new JobError('CANCELLED', 'the job was cancelled');
    throw err;
  }
  // Compared with the scan (or the fresh lstat before a read again): flagged, or read again at the
  // end (RETRY; this read's object stays on tape, unreferenced).
  const why = changeSince(e, statNow(e.path), result.bytes);
  const action = why === null ? null : to.changes.onChanged(e, again !== undefined);
  if (why !== null) await ctx.reporter.note('warn', ChangedFiles.noteOf(e.path, why, action!), e.path);
  if (action === 'retry') return;
  const locations = writers.flatMap((w) => w.locations()).map((l) => (e.dataMap ? sparseLocation(l, e.dataMap, result.storedSha256!) : l));
  const pieces = Math.max(...writers.map((w) => w.segments.length));
  if (pieces > 1)
    await ctx.reporter.note('info', `${e.path}: ${result.bytes} bytes written in ${pieces} segments across tapes ${spannedTapes(writers)}`, e.path);
  addWritten(to, { ...recordOf(e), size: result.bytes, sha256: result.sha256, locations, changedDuringBackup: action === 'flag' }, progress);
  progress.filesDone++;
}

/**
 * onChange RETRY: each file whose read changed is read once more, after everything else, as its own
 * object whatever its size (beside the job's data: retriedFilePath). A fresh lstat first, so its
 * record describes the file as it is now; if it changes again, it is recorded as read, flagged.
 */
async function readChangedAgain(ctx: JobContext, changer: TapeChanger, to: Written, progress: Progress, report: () => void): Promise<void> {
  const again: SourceEntry[] = [];
  for (const old of to.changes.takeRetries()) {
    const e = refreshed(old, statNow(old.path));
    if (e) again.push(e);
    else
      await skipUnreadable(
        ctx,
        old.path,
        'changed while it was read, then vanished or stopped being a regular file before it could be read again',
        progress,
        to,
      );
  }
  if (again.length === 0) return;
  await ctx.reporter.note(
    'info',
    `reading ${again.length} file${again.length > 1 ? 's' : ''} again that changed while ${again.length > 1 ? 'they were' : 'it was'} read`,
  );
  // Its holes are found again: the file may have changed since they were.
  await attachDataMaps(ctx, again);
  for (const [i, e] of again.entries()) {
    throwIfCancelled(ctx.signal);
    progress.bytesTotal += storedSize(e);
    await ctx.backupHooks?.beforeReadAgain?.(e.path);
    if (e.size === 0) {
      // Empty now: nothing to read, its record says so.
      addWritten(to, recordOf(e), progress);
      progress.filesDone++;
      continue;
    }
    await writeLargeFile(ctx, changer, e, to, progress, report, { dest: retriedFilePath(ctx.jobId, ctx.attempt, e.path) });
    if (to.checkpoint.due) await to.checkpoint.flush();
    await changer.continueAtEarlyWarning(to.checkpoint, again.length - i - 1);
  }
}

/** The bytes a file puts on tape: a sparse file's data extents only. */
function storedSize(e: SourceEntry): number {
  return e.dataMap ? e.dataMap.reduce((n, x) => n + x.length, 0) : e.size;
}

/** A sparse file's object says which extents it holds, and (in one piece) the hash of what it
 *  stores, since the file's own SHA-256 counts the holes as zeros (a verify checks the tape's bytes). */
function sparseLocation(l: TapeLocation, dataMap: DataExtent[], storedSha256: Buffer): TapeLocation {
  return { ...l, dataMap, segmentSha256: l.segmentSha256.length ? l.segmentSha256 : storedSha256 };
}

/** Says on the tape being left which piece of which file ends it, so the tape alone tells what it holds. */
async function writeContinuedNote(ctx: JobContext, full: CopyVolume, e: SourceEntry, piece: TapeLocation): Promise<void> {
  const note = {
    v: 2,
    job: ctx.jobId,
    attempt: ctx.attempt,
    host: ctx.agentName,
    path: e.path,
    note: 'this tape ends inside a file spanning tapes; the rest follows on the next tape of the same copy, and the manifest line of the file (with every segment) is on the tape where it ends',
    segment: { ...piece, segmentSha256: Buffer.from(piece.segmentSha256).toString('hex') },
  };
  const out = await full.volume.createWriteStream(continuedNotePath(ctx.jobId, ctx.attempt));
  await pipeline(Readable.from([Buffer.from(JSON.stringify(note) + '\n')]), out);
}

function spannedTapes(writers: SegmentingWritable[]): string {
  return writers.map((w) => w.segments.map((s) => s.barcode).join(' > ')).join('; ');
}
