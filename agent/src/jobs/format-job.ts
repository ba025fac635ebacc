// FORMAT: load the cartridge, write a fresh LTFS volume named after its barcode, and put the Ferrite
// label on it. A volume that holds files is only formatted with `force`; a forced format reads the
// label it replaces first, so the new label's generation is one more (recycled tapes).
import type { FormatSpec } from '@ferrite/proto';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { ensureLoaded, mountChecked } from './tape-handling.js';
import { FORMAT_VERSION, labelGeneration, readLabel, writeLabel } from './volume-label.js';
import { isCleaningBarcode } from '../drives/generations.js';

export async function runFormatJob(ctx: JobContext, spec: FormatSpec): Promise<string> {
  if (!spec.barcode) throw new JobError('INVALID_SPEC', 'format job without a barcode');
  if (isCleaningBarcode(spec.barcode)) throw new JobError('CLEANING_CARTRIDGE', `${spec.barcode} is a cleaning cartridge, not a data tape`);
  await ensureLoaded(ctx, spec.barcode, ctx.drive, ctx.library, { blankWillDo: true });
  throwIfCancelled(ctx.signal);
  ctx.reporter.progress({ bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 1, currentFile: '', currentTape: spec.barcode }, true);
  const generation = spec.force ? await generationAfter(ctx) : 1;
  const { volumeUuid } = await ctx.drive.format({ barcode: spec.barcode, force: spec.force });
  const volume = await mountChecked(ctx, false);
  try {
    await writeLabel(volume, {
      format: 'ferrite',
      formatVersion: FORMAT_VERSION,
      barcode: spec.barcode,
      volumeUuid,
      pool: spec.pool || null,
      generation,
      createdAt: new Date().toISOString(),
      createdBy: { agent: ctx.agentName, hostname: ctx.config.hostname },
      encryption: null,
    });
  } finally {
    await volume.unmount();
  }
  ctx.reporter.progress({ bytesDone: 0, bytesTotal: 0, filesDone: 1, filesTotal: 1, currentFile: '', currentTape: spec.barcode }, true);
  return `formatted ${spec.barcode} (volume ${volumeUuid}, label generation ${generation})`;
}

/** The generation of the label a format writes over the loaded volume: one more than the Ferrite
 *  label it holds, 1 when it holds none (or none that can be read: a blank or foreign volume). */
async function generationAfter(ctx: JobContext): Promise<number> {
  const loaded = await ctx.drive.loaded().catch(() => null);
  if (!loaded?.formatted) return 1;
  try {
    const volume = await mountChecked(ctx, true);
    try {
      const old = await readLabel(volume);
      return old?.format === 'ferrite' ? labelGeneration(old) + 1 : 1;
    } finally {
      await volume.unmount();
    }
  } catch (err) {
    await ctx.reporter.note('warn', `the volume being replaced has no readable Ferrite label (${(err as Error).message}): the new label is generation 1`);
    return 1;
  }
}
