// Drive and cartridge maintenance jobs: checking an LTFS volume (ltfsck: check only, repair, or roll
// back to an index generation) and cleaning a drive with a cleaning cartridge from its library.
import type { LibraryCheckSpec, LibraryCleanSpec } from '@ferrite/proto';
import { TapeError } from '../drives/drive.js';
import { isCleaningBarcode } from '../drives/generations.js';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { ensureLoaded } from './tape-handling.js';

/** First line of a check job's summary, which the catalog keeps as the tape's last check result. */
export type CheckOutcome = 'CONSISTENT' | 'NEEDS_REPAIR' | 'REPAIRED' | 'ROLLED_BACK';

export async function runCheckJob(ctx: JobContext, spec: LibraryCheckSpec): Promise<string> {
  if (isCleaningBarcode(spec.barcode)) throw new JobError('CLEANING_CARTRIDGE', `${spec.barcode} is a cleaning cartridge: it holds no volume to check`);
  await ensureLoaded(ctx, spec.barcode);
  throwIfCancelled(ctx.signal);
  step(ctx, 0, spec.barcode);
  const info = await ctx.drive.loaded();
  if (!info?.formatted && info?.detailsKnown !== false) throw new JobError('NOT_FORMATTED', `${spec.barcode} is not formatted: nothing to check`);
  if (spec.rollbackGeneration > 0) {
    if (!spec.repair) throw new JobError('INVALID_SPEC', 'a rollback rewrites the index: it needs repair');
    const result = await ctx.drive.check({ rollbackGeneration: spec.rollbackGeneration });
    step(ctx, 1, spec.barcode);
    return outcome('ROLLED_BACK', `${spec.barcode} rolled back to index generation ${spec.rollbackGeneration}${lost(result.lostFiles)}`);
  }
  if (!spec.repair) {
    if (info?.dirty) return outcome('NEEDS_REPAIR', `${spec.barcode} was not unmounted cleanly: run the check with repair`);
    // A read-only mount reads the index: what a check without repair can prove.
    const volume = await ctx.drive.mount({ readOnly: true });
    await volume.unmount();
    step(ctx, 1, spec.barcode);
    return outcome('CONSISTENT', `${spec.barcode}: the volume and its index are consistent`);
  }
  const result = await ctx.drive.check();
  if (result.lostFiles.length) await ctx.reporter.note('warn', `the repair dropped ${result.lostFiles.length} file(s) written after the last index sync`);
  step(ctx, 1, spec.barcode);
  return result.repaired
    ? outcome('REPAIRED', `${spec.barcode} repaired${lost(result.lostFiles)}`)
    : outcome('CONSISTENT', `${spec.barcode}: the volume and its index are consistent`);
}

export async function runCleanJob(ctx: JobContext, spec: LibraryCleanSpec): Promise<string> {
  const library = ctx.library;
  if (!library) throw new JobError('NO_LIBRARY', `drive ${ctx.drive.identity.name} is not in a library: insert a cleaning cartridge by hand`);
  const status = await library.status();
  const wanted = spec.cleaningBarcode || status.slots.find((s) => s.barcode && isCleaningBarcode(s.barcode))?.barcode;
  if (!wanted) throw new JobError('NO_CLEANING_CARTRIDGE', `library ${library.name} has no cleaning cartridge in its slots`);
  if (!isCleaningBarcode(wanted)) throw new JobError('NOT_CLEANING_CARTRIDGE', `${wanted} is a data cartridge, not a cleaning cartridge`);
  step(ctx, 0, wanted);
  await ensureLoaded(ctx, wanted);
  try {
    if (ctx.drive.clean) await ctx.drive.clean();
    await ctx.reporter.note('info', `${ctx.drive.identity.name} cleaned with ${wanted}`);
  } finally {
    await library.unload(ctx.drive.identity.libraryDriveIndex).catch((err: unknown) => {
      throw err instanceof TapeError ? new JobError(err.code, `cleaning done, but ${wanted} could not be put back: ${err.message}`) : err;
    });
  }
  step(ctx, 1, wanted);
  return `cleaned ${ctx.drive.identity.name} with ${wanted}`;
}

function outcome(result: CheckOutcome, text: string): string {
  return `${result}: ${text}`;
}

function lost(files: string[]): string {
  return files.length ? `; ${files.length} file(s) written after the last index sync were dropped` : '';
}

function step(ctx: JobContext, done: number, tape: string): void {
  ctx.reporter.progress({ bytesDone: 0, bytesTotal: 0, filesDone: done, filesTotal: 1, currentFile: '', currentTape: tape }, true);
}
