// Getting the right cartridge into the job's drive and mounted, the way an operator would: reuse it
// if it is already loaded, else send the loaded one home and fetch the wanted one from its slot;
// check a volume that was left dirty before mounting it.
import { JobEventType, type TapeStatus } from '@ferrite/proto';
import { TapeError, type MountedVolume, type TapeDrive, type TapeLibrary } from '../drives/drive.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';

/** What `rejected` holds after a cartridge with no volume was turned away. */
const UNLABELLED = '\0unlabelled';

export interface LoadOptions {
  /** A format: at a standalone drive that reads barcodes from volumes, a cartridge with no volume
   *  (a new tape the operator inserted for the request) is taken as `barcode`. */
  blankWillDo?: boolean;
}

/** Gets `barcode` into `drive` (the job's own drive unless a backup's further copy names another). */
export async function ensureLoaded(
  ctx: JobContext,
  barcode: string,
  drive: TapeDrive = ctx.drive,
  library: TapeLibrary | null = ctx.library,
  options: LoadOptions = {},
): Promise<void> {
  const current = await drive.loaded();
  if (current?.barcode === barcode) return;
  if (!library) {
    if (!ctx.requestTape || !drive.eject) {
      throw new JobError('TAPE_NOT_IN_LIBRARY', `drive ${drive.identity.name} has no library and holds ${current?.barcode ?? 'no tape'}, not ${barcode}`);
    }
    if (options.blankWillDo && current === null && (await drive.unlabelled?.())) {
      await ctx.reporter.note('info', `${drive.identity.name} holds a cartridge with no volume: it is formatted as ${barcode}`);
      return;
    }
    await awaitOperatorInsert(ctx, barcode, drive, current?.barcode ?? null, options);
    return;
  }
  const driveIndex = drive.identity.libraryDriveIndex;
  if (current) {
    await ctx.reporter.note('info', `unloading ${current.barcode} from ${drive.identity.name}`);
    await library.unload(driveIndex);
  }
  let status = await library.status();
  const idleDriveHolding = status.drives.find(
    (d) => d.barcode === barcode && d.driveIndex !== driveIndex && ctx.driveInUse?.(library.name, d.driveIndex) === false,
  );
  if (idleDriveHolding) {
    // Left there by an earlier job (a backup's further copy, a restore): send it home first.
    await ctx.reporter.note(
      'info',
      `unloading ${barcode} from idle drive ${idleDriveHolding.driveIndex} of library ${library.name} to read it in ${drive.identity.name}`,
    );
    await library.unload(idleDriveHolding.driveIndex);
    status = await library.status();
  }
  const slot = status.slots.find((s) => s.barcode === barcode);
  if (!slot) {
    const inOtherDrive = status.drives.find((d) => d.barcode === barcode);
    throw new JobError(
      inOtherDrive ? 'TAPE_IN_OTHER_DRIVE' : 'TAPE_NOT_IN_LIBRARY',
      inOtherDrive
        ? `tape ${barcode} is in drive ${inOtherDrive.driveIndex} of library ${library.name}, which another job is using`
        : `tape ${barcode} is not in library ${library.name}`,
    );
  }
  await ctx.reporter.note('info', `loading ${barcode} from slot ${slot.slot} into ${drive.identity.name}`);
  await library.load(slot.slot, driveIndex);
  await ctx.reporter.event(JobEventType.JOB_EVENT_TYPE_TAPE_CHANGED, { message: `loaded ${barcode}` });
}

/**
 * A standalone drive (no changer) holding another cartridge or none: the cartridge it holds is
 * ejected for the operator, the server shows an operator request ("insert FER004L9 into drive st0 on
 * host H") and the job looks into the drive until `barcode` is in it. A different cartridge inserted
 * meanwhile is reported (WRONG_CARTRIDGE), never written to, and ejected again; the job keeps
 * waiting until it is cancelled.
 */
export async function awaitOperatorInsert(
  ctx: JobContext,
  barcode: string,
  drive: TapeDrive,
  holding: string | null,
  options: LoadOptions = {},
): Promise<void> {
  const name = drive.identity.name;
  if (holding) {
    await ctx.reporter.note('info', `ejecting ${holding} from standalone drive ${name} for the operator`);
    await drive.eject!();
  }
  const why = holding ? `${name} held ${holding}` : `${name} is empty`;
  await ctx.reporter.note('warn', `waiting for an operator to insert ${barcode} into standalone drive ${name} (${why})`);
  await ctx.requestTape!(barcode, name, false, why);
  let rejected: string | null = null;
  for (;;) {
    throwIfCancelled(ctx.signal);
    await sleep(ctx.standalonePollMs ?? ctx.config?.standalonePollMs ?? 2000, undefined, { signal: ctx.signal }).catch(() => undefined);
    throwIfCancelled(ctx.signal);
    const now = await drive.loaded().catch(() => null);
    if (now === null) {
      if (!(await drive.unlabelled?.().catch(() => false))) {
        rejected = null;
        continue;
      }
      if (options.blankWillDo) break;
      // A cartridge with no volume where a written tape is needed: the operator took the wrong one.
      if (rejected !== UNLABELLED) {
        rejected = UNLABELLED;
        const message = `WRONG_CARTRIDGE: a cartridge with no LTFS volume was inserted into ${name}, but this job needs ${barcode}: it is ejected`;
        await ctx.reporter.event(JobEventType.JOB_EVENT_TYPE_LOG, { message, level: 'warn', errorCode: 'WRONG_CARTRIDGE' }).catch(() => undefined);
      }
      await drive.eject!().catch(async (err: Error) => ctx.reporter.note('warn', `could not eject the cartridge from ${name}: ${err.message}`));
      continue;
    }
    if (now.barcode === barcode) break;
    if (now.barcode !== rejected) {
      rejected = now.barcode;
      const message = `WRONG_CARTRIDGE: ${now.barcode} was inserted into ${name}, but this job needs ${barcode}: it is not written to and is ejected`;
      await ctx.reporter.event(JobEventType.JOB_EVENT_TYPE_LOG, { message, level: 'warn', errorCode: 'WRONG_CARTRIDGE' }).catch(() => undefined);
      await ctx.requestTape!(barcode, name, false, `${name} was given ${now.barcode}, not ${barcode}`).catch(() => undefined);
    }
    await drive.eject!().catch(async (err: Error) => ctx.reporter.note('warn', `could not eject ${now.barcode} from ${name}: ${err.message}`));
  }
  await ctx.requestTape!(barcode, name, true, `${barcode} inserted into ${name}`);
  await ctx.reporter.event(JobEventType.JOB_EVENT_TYPE_TAPE_CHANGED, { message: `${barcode} inserted into ${name} by the operator` });
}

export async function mountChecked(ctx: JobContext, readOnly: boolean, drive: TapeDrive = ctx.drive): Promise<MountedVolume> {
  try {
    const volume = await drive.mount({ readOnly });
    // The drive repaired the volume by itself: the job log says so (the catalog's record of what
    // is on the tape only ever counts what an index sync confirmed, so nothing it holds is lost).
    if (volume.recoveredAtMount) await ctx.reporter.note('warn', `${drive.identity.name}: ${volume.recoveredAtMount}`);
    return volume;
  } catch (err) {
    if (!(err instanceof TapeError) || err.code !== 'VOLUME_DIRTY') throw err;
    await ctx.reporter.note('warn', `volume in ${drive.identity.name} was not unmounted cleanly: checking it before use`);
    const result = await drive.check();
    if (result.lostFiles.length > 0) {
      await ctx.reporter.note('warn', `check dropped ${result.lostFiles.length} file(s) written after the last index sync (never reported to the catalog)`);
    }
    return drive.mount({ readOnly });
  }
}

/** The tapes of a backup's further copies, for the job's last event (like tapeStatusOf for copy 1). */
export async function copyTapeStatusesOf(ctx: JobContext): Promise<TapeStatus[]> {
  const all = await Promise.all((ctx.copies ?? []).map((c) => tapeStatusOf(ctx, c.drive)));
  return all.filter((t): t is TapeStatus => t !== undefined);
}

/** Tape status to send with COMPLETED/FAILED so the catalog's used/capacity stay true. */
export async function tapeStatusOf(ctx: JobContext, drive: TapeDrive = ctx.drive): Promise<TapeStatus | undefined> {
  const info = await drive.loaded().catch(() => null);
  if (!info) return undefined;
  return {
    barcode: info.barcode,
    capacityBytes: info.capacityBytes,
    usedBytes: info.usedBytes,
    volumeUuid: info.volumeUuid ?? '',
    formatted: info.formatted,
    full: ctx.fullTapes?.has(info.barcode) ?? false,
  };
}
