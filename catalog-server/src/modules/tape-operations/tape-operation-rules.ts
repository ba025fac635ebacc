// Pure rules of the tape operations: which drive a load may use, which slot a move may target, when
// a drive asks for cleaning. No I/O, so each rule is unit-tested; the service gathers the facts.
import type { FerriteError } from '../../common/errors.js';
import { driveCanRead } from '../tapes/tape-generations.js';
import { TapeOpErrors } from './tape-operations.errors.js';

export interface DriveView {
  name: string;
  /** LTO generation of the drive. */
  generation: number;
  state: string;
  changerId: string | null;
  /** Barcode of the tape in the drive, null when empty. */
  loadedBarcode: string | null;
  /** A job holding (or queued for) the drive. */
  busyJob: string | null;
  alerts: string[];
}

export interface SlotView {
  slot: number;
  /** The tape that sits there or calls it home while out in a drive. */
  occupant: { barcode: string; inDrive: boolean } | null;
}

const CLEANING_ALERTS = ['CLEAN_NOW', 'CLEAN_PERIODIC'];

export function needsCleaning(drive: Pick<DriveView, 'state' | 'alerts'>): boolean {
  return drive.state === 'NEEDS_CLEANING' || drive.alerts.some((a) => CLEANING_ALERTS.includes(a));
}

/**
 * Why the drive cannot take the cartridge now, or null. `tapeChangerId` null: the tape is not in a
 * library yet. `tapeGeneration` 0: unknown (not checked).
 */
export function loadDriveProblem(drive: DriveView, tapeChangerId: string | null, libraryName: string | null, tapeGeneration = 0): FerriteError | null {
  if (drive.changerId === null) return TapeOpErrors.driveNotInLibrary(drive.name, null);
  if (tapeGeneration > 0 && !driveCanRead(drive.generation, tapeGeneration))
    return TapeOpErrors.driveIncompatible(drive.name, drive.generation, tapeGeneration);
  if (tapeChangerId !== null && drive.changerId !== tapeChangerId) return TapeOpErrors.driveNotInLibrary(drive.name, libraryName);
  if (drive.busyJob || drive.state === 'BUSY') return TapeOpErrors.driveBusy(drive.name, drive.busyJob ? `job ${drive.busyJob}` : 'the agent reports it busy');
  if (drive.loadedBarcode) return TapeOpErrors.driveOccupied(drive.name, drive.loadedBarcode);
  if (drive.state === 'OFFLINE' || needsCleaning(drive))
    return TapeOpErrors.driveUnusable(drive.name, drive.state === 'OFFLINE' ? 'OFFLINE' : 'NEEDS_CLEANING');
  return null;
}

/** The first drive (by name) of the changer that can take (and read) the cartridge now, or null. */
export function pickLoadDrive(drives: DriveView[], changerId: string | null, tapeGeneration = 0): DriveView | null {
  return (
    [...drives]
      .sort((a, b) => a.name.localeCompare(b.name))
      .find((d) => (changerId === null ? d.changerId !== null : d.changerId === changerId) && loadDriveProblem(d, changerId, null, tapeGeneration) === null) ??
    null
  );
}

/** Why a cartridge cannot be moved from `fromSlot` to `toSlot`, or null. */
export function moveSlotProblem(fromSlot: number, toSlot: number, slots: SlotView[], library: string): FerriteError | null {
  if (!Number.isInteger(toSlot) || toSlot < 1) return TapeOpErrors.invalidSlot(toSlot, library, 'does not exist (slots are numbered from 1)');
  const target = slots.find((s) => s.slot === toSlot);
  if (!target) return TapeOpErrors.invalidSlot(toSlot, library, `does not exist (it has ${slots.length} slots)`);
  if (toSlot === fromSlot) return TapeOpErrors.invalidSlot(toSlot, library, 'is where the tape already is');
  if (target.occupant) {
    return target.occupant.inDrive
      ? TapeOpErrors.slotOccupied(toSlot, library, target.occupant.barcode, 'is the home slot of')
      : TapeOpErrors.slotOccupied(toSlot, library, target.occupant.barcode);
  }
  return null;
}
