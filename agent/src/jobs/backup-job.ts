// BACKUP: scan the sources, pack small files into tar bundles and stream large files whole, hashing
// every byte once on its way to tape; checkpoint (manifest + index sync + report) as the job goes.
// Small files go first, then large ones, so only one object is ever open on the tape. For a pool
// with copies N every object goes to N tapes at once (copy-volumes.ts), one location per copy.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileType, IncrementalLevel, type BackupSpec, type FileRecord, type TapeStatus } from '@ferrite/proto';
import { TapeError, type TapeDrive, type TapeLibrary } from '../drives/drive.js';
import { CopyVolumes, type CopyVolume } from '../backup/copy-volumes.js';
import { BundleWriter } from '../tape-layout/bundle-writer.js';
import { Checkpointer, type JobHeader } from '../backup/checkpoint.js';
import { hashingCopy } from '../backup/hashing-copy.js';
import { SourceSkipped } from '../backup/source-file.js';
import { scanSources, SourceNotFoundError, type SourceEntry } from '../backup/source-scan.js';
import { readSmallFiles } from '../backup/small-file-reader.js';
import { planRun, type RunPlan } from '../backup/run-plan.js';
import { bundleMemberName, bundlePath, jobHeaderPath, largeFilePath } from '../backup/tape-paths.js';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { ensureLoaded, mountChecked, tapeStatusOf } from './tape-handling.js';
import { readLabel } from './volume-label.js';

const DEFAULTS = { smallFileThreshold: 1024 * 1024, bundleTargetBytes: 256 * 1024 * 1024, checkpointBytes: 1024 ** 3, checkpointFiles: 5000 };
const EMPTY_SHA256 = createHash('sha256').digest();

interface Progress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Files skipped because they could not be read as they are now (logged one by one). */
  filesFailed: number;
  currentFile: string;
}

/** A file that cannot be read is skipped, logged with its path and counted; the backup goes on. */
async function skipUnreadable(ctx: JobContext, path: string, reason: string, progress: Progress): Promise<void> {
  progress.filesFailed++;
  await ctx.reporter.note('warn', `${path}: ${reason}; skipped`, path);
}

function baseRecord(e: SourceEntry): FileRecord {
  return {
    path: e.path,
    type: e.type === 'file' ? FileType.FILE_TYPE_FILE : e.type === 'directory' ? FileType.FILE_TYPE_DIRECTORY : FileType.FILE_TYPE_SYMLINK,
    size: e.size,
    // Exact: floored milliseconds plus the nanoseconds within (file-time.ts), never rounded.
    mtimeMs: e.mtimeMs,
    mtimeNanos: e.mtimeNanos,
    ctimeMs: e.ctimeMs,
    inode: e.inode,
    mode: e.mode,
    sha256: e.type === 'file' && e.size === 0 ? EMPTY_SHA256 : Buffer.alloc(0),
    symlinkTarget: e.symlinkTarget,
    locations: [],
    deleted: false,
  };
}

/** The spec fields older callers (tests, benchmarks) may leave out: FULL, no content comparison. */
type BackupJobSpec = Omit<BackupSpec, 'level' | 'compareContent' | 'runIds' | 'copies'> &
  Partial<Pick<BackupSpec, 'level' | 'compareContent' | 'runIds' | 'copies'>>;

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
  let scanned: SourceEntry[];
  try {
    scanned = await scanSources(spec.paths, spec.excludes, (issue) => void ctx.reporter.note('warn', `${issue.path}: ${issue.reason}`));
  } catch (err) {
    if (err instanceof SourceNotFoundError) throw new JobError('BACKUP_PATH_NOT_FOUND', err.message);
    throw err;
  }
  // Compared with each root's base run: what is unchanged is not written again (see run-plan.ts).
  const runPlan = await planRun(scanned, spec.paths, {
    level: spec.level || IncrementalLevel.INCREMENTAL_LEVEL_FULL,
    compareContent: spec.compareContent ?? false,
    baseSource: ctx.baseSource,
    note: (line) => ctx.reporter.note('info', line),
  });
  const entries = runPlan.record;
  const extraRecords: FileRecord[] = [...runPlan.byReference.map(({ entry, sha256 }) => ({ ...baseRecord(entry), sha256 })), ...runPlan.deleted];
  const files = entries.filter((e) => e.type === 'file' && e.size > 0);
  const small = files.filter((e) => e.size < opts.smallFileThreshold);
  const large = files.filter((e) => e.size >= opts.smallFileThreshold);
  const progress: Progress = {
    bytesDone: 0,
    bytesTotal: files.reduce((n, e) => n + e.size, 0),
    filesDone: 0,
    filesTotal: entries.length + extraRecords.length,
    filesFailed: 0,
    currentFile: '',
  };
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
  let failure: unknown;
  try {
    // Metadata-only entries (directories, symlinks, empty files, files whose content is already on
    // tape, deletion markers) need no tape space.
    for (const r of extraRecords) {
      checkpoint.add(r);
      progress.filesDone++;
    }
    for (const e of entries) {
      if (e.type === 'file' && e.size > 0) continue;
      checkpoint.add(baseRecord(e));
      progress.filesDone++;
    }
    await writeSmallFiles(ctx, volumes, small, opts, checkpoint, progress, report, header);
    for (const e of large) {
      throwIfCancelled(ctx.signal);
      await writeLargeFile(ctx, volumes, e, checkpoint, progress, report);
      if (checkpoint.due) await checkpoint.flush();
      await continueAtEarlyWarning(ctx, volumes, checkpoint, large.length - large.indexOf(e) - 1, header);
    }
    await checkpoint.flush();
  } catch (err) {
    failure = err;
    // What was completely written before the failure is still confirmed and reported.
    await checkpoint.flush().catch((e: Error) => ctx.log.error({ err: e.message }, 'final checkpoint failed'));
  } finally {
    await volumes.unmount();
  }
  if (failure instanceof TapeError && failure.code === 'END_OF_MEDIUM') {
    const which = volumes.copies.length > 1 ? `a tape of ${volumes.barcodes.join(', ')}` : `tape ${spec.barcode}`;
    throw new JobError('TAPE_FULL', `${which} is full; ${checkpoint.reportedFiles} entries were saved on every copy and reported`);
  }
  if (failure instanceof Error) throw failure;
  if (failure) throw new Error(`backup failed: ${JSON.stringify(failure)}`);
  await ctx.reporter.finalProgress({ ...progress, currentTape: volumes.barcodes[0] });
  const to = volumes.copies.length > 1 ? `${volumes.barcodes.join(' and ')} (${volumes.copies.length} copies)` : spec.barcode;
  return backupSummary(checkpoint.reportedFiles, progress, runPlan, to);
}

/** The job's last line: what was written, what was not and why, and where to. */
function backupSummary(entries: number, progress: Progress, runPlan: RunPlan, to: string): string {
  const skipped = runPlan.unchanged ? `, ${runPlan.unchanged} unchanged` : '';
  const refs = runPlan.byReference.length ? `, ${runPlan.byReference.length} already on tape` : '';
  const gone = runPlan.deleted.length ? `, ${runPlan.deleted.length} deleted` : '';
  const kept = runPlan.confirmed ? `, ${runPlan.confirmed} confirmed by an earlier attempt and not written again` : '';
  const unreadable = progress.filesFailed ? `; ${progress.filesFailed} could not be read and were skipped (see the job log)` : '';
  return `backed up ${entries} entries (${progress.bytesDone} bytes${refs}${gone}${skipped}${kept}) to ${to}${unreadable}`;
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

/** The header goes on every copy before any data, so each tape alone can rebuild the job's runs. */
async function writeJobHeader(volumes: CopyVolumes, header: JobHeader): Promise<void> {
  const out = await volumes.createWriteStream(jobHeaderPath(header.job, header.attempt));
  await pipeline(Readable.from([Buffer.from(JSON.stringify(header) + '\n')]), out);
}

/**
 * Loads and mounts copy 1 in the job's drive and each further copy in its own drive, one after the
 * other (they may share a robot), and checks every label; on any failure the ones already mounted
 * are unmounted again.
 */
/** Loads the copy's tape into its drive, mounts it read-write and checks its label (unmounted again on a mismatch). */
async function mountCopy(ctx: JobContext, w: { copy: number; barcode: string; drive: TapeDrive; library: TapeLibrary | null }): Promise<CopyVolume> {
  await ensureLoaded(ctx, w.barcode, w.drive, w.library);
  const volume = await mountChecked(ctx, false, w.drive);
  const label = await readLabel(volume).catch(() => null);
  if (!label || label.barcode !== w.barcode) {
    await volume.unmount().catch(() => undefined);
    throw new JobError(
      'LABEL_MISMATCH',
      label
        ? `tape in drive ${w.drive.identity.name} is labelled ${label.barcode}, expected ${w.barcode}`
        : `tape ${w.barcode} has no Ferrite label: format it first`,
    );
  }
  return { copy: w.copy, barcode: w.barcode, volume };
}

async function mountCopies(ctx: JobContext, barcode: string): Promise<CopyVolumes> {
  const wanted: NonNullable<JobContext['copies']> = [{ copy: 1, barcode, drive: ctx.drive, library: ctx.library }, ...(ctx.copies ?? [])];
  const mounted: CopyVolume[] = [];
  try {
    for (const w of wanted) mounted.push(await mountCopy(ctx, w));
  } catch (err) {
    await Promise.allSettled(mounted.map((m) => m.volume.unmount()));
    throw err;
  }
  if (mounted.length > 1)
    await ctx.reporter.note(
      'info',
      `writing ${mounted.length} copies at once: ${wanted.map((w) => `copy ${w.copy} on ${w.barcode} in ${w.drive.identity.name}`).join(', ')}`,
    );
  return new CopyVolumes(mounted);
}

/**
 * Between two objects: every copy whose tape reached its early-warning zone goes on on a next tape.
 * What was written is confirmed first (manifest, index sync, records reported); then the server
 * marks the tape FULL and names the next one (NextTape), which is loaded into the same drive,
 * checked and given the job header, so each tape can be rebuilt alone. With no tape yet the job
 * waits and asks again; a server that cannot span ends the job with TAPE_FULL as before.
 */
async function continueAtEarlyWarning(
  ctx: JobContext,
  volumes: CopyVolumes,
  checkpoint: Checkpointer,
  remaining: number,
  header: () => JobHeader,
): Promise<void> {
  if (remaining === 0) return;
  const full = await volumes.atEarlyWarning();
  if (full.length === 0) return;
  // What is written so far is on every copy: confirm it before leaving any tape.
  await checkpoint.flush();
  for (const copy of full) {
    const where = copyPlace(ctx, copy.copy);
    const status = await tapeStatusOf(ctx, where.drive);
    const next = status ? await askForNextTape(ctx, copy, status) : null;
    if (!next) throw new JobError('TAPE_FULL', `tape ${copy.barcode} reached its early-warning zone with ${remaining} file(s) left to write`);
    await copy.volume.unmount();
    await ctx.reporter.note('info', `tape ${copy.barcode} is full${volumes.copies.length > 1 ? ` (copy ${copy.copy})` : ''}; continuing on ${next}`);
    const mounted = await mountCopy(ctx, { ...where, copy: copy.copy, barcode: next });
    volumes.replace(mounted);
    await writeJobHeader(new CopyVolumes([mounted]), header());
  }
}

/** The drive (and library) that writes copy `copy`. */
function copyPlace(ctx: JobContext, copy: number): { drive: TapeDrive; library: TapeLibrary | null } {
  if (copy === 1) return { drive: ctx.drive, library: ctx.library };
  const c = ctx.copies?.find((x) => x.copy === copy);
  if (!c) throw new Error(`no drive for copy ${copy}`);
  return { drive: c.drive, library: c.library };
}

/** Asks until the server names a tape (waiting between asks, noting each new reason); null: it cannot span. */
async function askForNextTape(ctx: JobContext, copy: CopyVolume, full: TapeStatus): Promise<string | null> {
  if (!ctx.nextTape) return null;
  let lastReason = '';
  for (;;) {
    throwIfCancelled(ctx.signal);
    const answer = await ctx.nextTape(copy.copy, full);
    if (!answer) return null;
    if (answer.barcode) return answer.barcode;
    if (answer.waitReason !== lastReason) await ctx.reporter.note('warn', `waiting for a next tape after ${copy.barcode}: ${answer.waitReason}`);
    lastReason = answer.waitReason;
    await sleep(ctx.nextTapeRetryMs ?? 30_000, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}

async function writeSmallFiles(
  ctx: JobContext,
  volume: CopyVolumes,
  small: SourceEntry[],
  opts: { bundleTargetBytes: number },
  checkpoint: Checkpointer,
  progress: Progress,
  report: () => void,
  header: () => JobHeader,
): Promise<void> {
  let bundleIndex = 0;
  let open: { writer: BundleWriter; path: string; members: Array<{ record: FileRecord; offset: number; length: number }> } | null = null;

  const close = async () => {
    if (!open) return;
    await open.writer.finish();
    const copies = await volume.positions(open.path);
    for (const m of open.members) {
      checkpoint.add({ ...m.record, locations: copies.map((at) => at(m.offset, m.length)) });
    }
    open = null;
  };

  let i = -1;
  for await (const { item: e, result } of readSmallFiles(small)) {
    i++;
    throwIfCancelled(ctx.signal);
    if (result instanceof Error) {
      await skipUnreadable(ctx, e.path, result.message, progress);
      if (i === small.length - 1) await close().then(() => checkpoint.flush());
      continue;
    }
    const data = result;
    if (!open) {
      const path = bundlePath(ctx.jobId, ctx.attempt, ++bundleIndex);
      open = { writer: new BundleWriter(await volume.createWriteStream(path)), path, members: [] };
    }
    const { offset, length } = await open.writer.add({ name: bundleMemberName(e.path), size: data.length, mode: e.mode, mtimeMs: e.mtimeMs, data });
    const record = { ...baseRecord(e), size: data.length, sha256: createHash('sha256').update(data).digest() };
    open.members.push({ record, offset, length });
    progress.bytesDone += data.length;
    progress.filesDone++;
    progress.currentFile = e.path;
    report();
    const last = i === small.length - 1;
    if (last || open.writer.bytesWritten >= opts.bundleTargetBytes || checkpoint.pendingCount + open.members.length >= checkpoint.limits.files) {
      await close();
      if (checkpoint.due || last) await checkpoint.flush();
      await continueAtEarlyWarning(ctx, volume, checkpoint, small.length - i - 1, header);
    }
  }
}

async function writeLargeFile(
  ctx: JobContext,
  volume: CopyVolumes,
  e: SourceEntry,
  checkpoint: Checkpointer,
  progress: Progress,
  report: () => void,
): Promise<void> {
  const dest = largeFilePath(ctx.jobId, ctx.attempt, e.path);
  progress.currentFile = e.path;
  report();
  let result;
  try {
    result = await hashingCopy(
      e.path,
      () => volume.createWriteStream(dest),
      (n) => {
        progress.bytesDone += n;
        report();
      },
      ctx.signal,
    );
  } catch (err) {
    if (err instanceof SourceSkipped) {
      await skipUnreadable(ctx, e.path, err.message, progress);
      return;
    }
    if ((err as Error).name === 'AbortError') throw new JobError('CANCELLED', 'the job was cancelled');
    throw err;
  }
  if (result.bytes !== e.size) await ctx.reporter.note('warn', `${e.path}: changed while it was read (${e.size} -> ${result.bytes} bytes); saved as read`);
  checkpoint.add({
    ...baseRecord(e),
    size: result.bytes,
    sha256: result.sha256,
    locations: await volume.locations(dest, 0, result.bytes),
  });
  progress.filesDone++;
}
