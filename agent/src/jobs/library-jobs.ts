// Library (robot) jobs: rescan, load a cartridge into the job's drive, unload it, move it between
// slots. Each one reports a single step of progress; the job runner sends the library's inventory
// with the final event, so the catalog learns where every cartridge is now.
import type { LibraryInventorySpec, LibraryLoadSpec, LibraryMoveSpec, LibraryUnloadSpec } from '@ferrite/proto';
import type { TapeLibrary } from '../drives/drive.js';
import { JobError, throwIfCancelled, type JobContext } from './job-context.js';
import { ensureLoaded } from './tape-handling.js';

export async function runInventoryJob(ctx: JobContext, spec: LibraryInventorySpec, libraries: TapeLibrary[]): Promise<string> {
  const targets = spec.library ? libraries.filter((l) => l.name === spec.library) : libraries;
  if (targets.length === 0) throw new JobError('UNKNOWN_LIBRARY', `this agent has no library named ${spec.library}`);
  let cartridges = 0;
  for (const [i, library] of targets.entries()) {
    throwIfCancelled(ctx.signal);
    step(ctx, i, targets.length, library.name);
    const status = await library.status();
    const here = status.slots.filter((s) => s.barcode).length + status.drives.filter((d) => d.barcode).length;
    cartridges += here;
    await ctx.reporter.note('info', `library ${library.name}: ${here} cartridge(s) in ${status.slots.length} slot(s) and ${status.drives.length} drive(s)`);
  }
  step(ctx, targets.length, targets.length, '');
  return `inventoried ${targets.map((l) => l.name).join(', ')}: ${cartridges} cartridge(s)`;
}

export async function runLoadJob(ctx: JobContext, spec: LibraryLoadSpec): Promise<string> {
  step(ctx, 0, 1, spec.barcode);
  const current = await ctx.drive.loaded();
  if (current && current.barcode !== spec.barcode) {
    // The server checks this too; the drive may have changed since (an operator at the library).
    throw new JobError('DRIVE_OCCUPIED', `drive ${ctx.drive.identity.name} already holds ${current.barcode}; unload it first`);
  }
  await ensureLoaded(ctx, spec.barcode);
  step(ctx, 1, 1, spec.barcode);
  return `loaded ${spec.barcode} into ${ctx.drive.identity.name}`;
}

export async function runUnloadJob(ctx: JobContext, spec: LibraryUnloadSpec): Promise<string> {
  if (!ctx.library && ctx.drive.eject) return ejectStandalone(ctx, spec);
  const library = requireLibrary(ctx);
  step(ctx, 0, 1, spec.barcode);
  const current = await ctx.drive.loaded();
  if (!current) throw new JobError('NO_TAPE', `drive ${ctx.drive.identity.name} is empty`);
  if (spec.barcode && current.barcode !== spec.barcode) {
    throw new JobError('TAPE_NOT_IN_DRIVE', `drive ${ctx.drive.identity.name} holds ${current.barcode}, not ${spec.barcode}`);
  }
  await library.unload(ctx.drive.identity.libraryDriveIndex, spec.toSlot || undefined);
  step(ctx, 1, 1, current.barcode);
  return `unloaded ${current.barcode} from ${ctx.drive.identity.name}${spec.toSlot ? ` to slot ${spec.toSlot}` : ''}`;
}

/** A standalone drive (no changer) unloads by ejecting its cartridge for the operator to take. */
async function ejectStandalone(ctx: JobContext, spec: LibraryUnloadSpec): Promise<string> {
  step(ctx, 0, 1, spec.barcode);
  if (spec.toSlot) throw new JobError('NO_LIBRARY', `drive ${ctx.drive.identity.name} is standalone: it has no slot ${spec.toSlot}`);
  const current = await ctx.drive.loaded();
  if (!current) throw new JobError('NO_TAPE', `drive ${ctx.drive.identity.name} is empty`);
  if (spec.barcode && current.barcode !== spec.barcode) {
    throw new JobError('TAPE_NOT_IN_DRIVE', `drive ${ctx.drive.identity.name} holds ${current.barcode}, not ${spec.barcode}`);
  }
  await ctx.drive.eject!();
  step(ctx, 1, 1, current.barcode);
  return `ejected ${current.barcode} from standalone drive ${ctx.drive.identity.name} for the operator`;
}

/** A move needs no drive: it runs in whichever of the agent's libraries holds the cartridge. */
export async function runMoveJob(ctx: JobContext, spec: LibraryMoveSpec, libraries: TapeLibrary[]): Promise<string> {
  step(ctx, 0, 1, spec.barcode);
  let library = ctx.library ?? libraries[0];
  for (const candidate of libraries) {
    if ((await candidate.status()).slots.some((s) => s.barcode === spec.barcode)) library = candidate;
  }
  if (!library) throw new JobError('NO_LIBRARY', 'this agent has no library');
  const status = await library.status();
  const from = status.slots.find((s) => s.barcode === spec.barcode);
  if (!from) {
    const inDrive = status.drives.find((d) => d.barcode === spec.barcode);
    throw new JobError(
      inDrive ? 'TAPE_IN_DRIVE' : 'TAPE_NOT_IN_LIBRARY',
      inDrive ? `${spec.barcode} is in drive ${inDrive.driveIndex}: unload it first` : `${spec.barcode} is not in library ${library.name}`,
    );
  }
  await library.transfer(from.slot, spec.toSlot);
  step(ctx, 1, 1, spec.barcode);
  return `moved ${spec.barcode} from slot ${from.slot} to slot ${spec.toSlot} of ${library.name}`;
}

function requireLibrary(ctx: JobContext): TapeLibrary {
  if (!ctx.library) throw new JobError('NO_LIBRARY', `drive ${ctx.drive.identity.name} is not in a library`);
  return ctx.library;
}

function step(ctx: JobContext, done: number, total: number, tape: string): void {
  ctx.reporter.progress({ bytesDone: 0, bytesTotal: 0, filesDone: done, filesTotal: total, currentFile: '', currentTape: tape }, true);
}
