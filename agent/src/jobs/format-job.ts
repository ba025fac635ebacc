// FORMAT: load the cartridge, write a fresh LTFS volume named after its barcode, and put the Ferrite
// label on it. A volume that holds files is only formatted with `force`.
import type { FormatSpec } from '@ferrite/proto';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { ensureLoaded, mountChecked } from './tape-handling.js';
import { FORMAT_VERSION, writeLabel } from './volume-label.js';
import { isCleaningBarcode } from '../drives/generations.js';

export async function runFormatJob(ctx: JobContext, spec: FormatSpec): Promise<string> {
  if (!spec.barcode) throw new JobError('INVALID_SPEC', 'format job without a barcode');
  if (isCleaningBarcode(spec.barcode)) throw new JobError('CLEANING_CARTRIDGE', `${spec.barcode} is a cleaning cartridge, not a data tape`);
  await ensureLoaded(ctx, spec.barcode);
  throwIfCancelled(ctx.signal);
  ctx.reporter.progress({ bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 1, currentFile: '', currentTape: spec.barcode }, true);
  const { volumeUuid } = await ctx.drive.format({ barcode: spec.barcode, force: spec.force });
  const volume = await mountChecked(ctx, false);
  try {
    await writeLabel(volume, {
      format: 'ferrite',
      formatVersion: FORMAT_VERSION,
      barcode: spec.barcode,
      volumeUuid,
      pool: spec.pool || null,
      createdAt: new Date().toISOString(),
      createdBy: { agent: ctx.agentName, hostname: ctx.config.hostname },
      encryption: null,
    });
  } finally {
    await volume.unmount();
  }
  ctx.reporter.progress({ bytesDone: 0, bytesTotal: 0, filesDone: 1, filesTotal: 1, currentFile: '', currentTape: spec.barcode }, true);
  return `formatted ${spec.barcode} (volume ${volumeUuid})`;
}
