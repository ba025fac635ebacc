// Error codes of tape operations (load, unload, move, check, clean, retire, offsite). Each names the
// problem and what to do; none is raised after anything was written.
import { FerriteError } from '../../common/errors.js';
import type { TapeOperationErrorCode } from '../../common/error-codes.js';

const err = (code: TapeOperationErrorCode, message: string, details: Record<string, unknown> = {}) => new FerriteError(code, message, details);

export const TapeOpErrors = {
  driveNotFound: (agent: string, drive: string) =>
    err('DRIVE_NOT_FOUND', `agent ${agent} has no drive named ${JSON.stringify(drive)}; see \`drives(agent: "${agent}")\``, { agent, drive }),
  driveBusy: (drive: string, why: string) => err('DRIVE_BUSY', `drive ${drive} is busy (${why}); wait for it or cancel that job`, { drive }),
  driveOccupied: (drive: string, barcode: string) =>
    err('DRIVE_OCCUPIED', `drive ${drive} already holds ${barcode}; unload it first (unloadTape)`, { drive, barcode }),
  driveEmpty: (drive: string) => err('DRIVE_EMPTY', `drive ${drive} holds no tape`, { drive }),
  driveUnusable: (drive: string, state: string) =>
    err(
      state === 'OFFLINE' ? 'DRIVE_OFFLINE' : 'DRIVE_NEEDS_CLEANING',
      `drive ${drive} is ${state}${state === 'NEEDS_CLEANING' ? '; clean it first (cleanDrive)' : ''}`,
      { drive, state },
    ),
  driveNotInLibrary: (drive: string, library: string | null) =>
    err('DRIVE_NOT_IN_LIBRARY', library ? `drive ${drive} is not in library ${library}, where the tape is` : `drive ${drive} is not in a library`, {
      drive,
      library,
    }),
  driveIncompatible: (drive: string, driveGeneration: number, tapeGeneration: number) =>
    err('DRIVE_INCOMPATIBLE', `drive ${drive} (LTO-${driveGeneration}) cannot read an LTO-${tapeGeneration} cartridge`, {
      drive,
      driveGeneration,
      tapeGeneration,
    }),
  noDriveAvailable: (agent: string, library: string | null) =>
    err('NO_DRIVE_AVAILABLE', `no empty, idle drive in ${library ? `library ${library} of ` : ''}agent ${agent}; unload one or name a drive`, {
      agent,
      library,
    }),
  driveClean: (drive: string) =>
    err('DRIVE_DOES_NOT_NEED_CLEANING', `drive ${drive} has not asked for cleaning; pass force: true to clean it anyway (cleaning wears the heads)`, { drive }),
  tapeAlreadyLoaded: (barcode: string, drive: string) => err('TAPE_ALREADY_LOADED', `tape ${barcode} is already in drive ${drive}`, { barcode, drive }),
  tapeNotLoaded: (barcode: string) => err('TAPE_NOT_LOADED', `tape ${barcode} is not in a drive`, { barcode }),
  tapeInDrive: (barcode: string, drive: string) => err('TAPE_IN_DRIVE', `tape ${barcode} is in drive ${drive}; unload it first`, { barcode, drive }),
  tapeInLibrary: (barcode: string, agent: string) =>
    err('TAPE_IN_LIBRARY', `tape ${barcode} is still in agent ${agent}'s library; take it out (moveTape to an import/export slot), then run inventory`, {
      barcode,
      agent,
    }),
  tapeOnShelf: (barcode: string) =>
    err('TAPE_NOT_IN_LIBRARY', `tape ${barcode} is in no library; name the agent (and library) it should go into, and an operator will be asked to insert it`, {
      barcode,
    }),
  tapeRetired: (barcode: string) => err('TAPE_RETIRED', `tape ${barcode} is retired`, { barcode }),
  cleaningCartridge: (barcode: string) =>
    err('TAPE_IS_CLEANING_CARTRIDGE', `${barcode} is a cleaning cartridge and cannot be used as a data tape; use cleanDrive`, { barcode }),
  notCleaningCartridge: (barcode: string) => err('TAPE_NOT_CLEANING_CARTRIDGE', `${barcode} is a data tape, not a cleaning cartridge`, { barcode }),
  noCleaningCartridge: (library: string) =>
    err('NO_CLEANING_CARTRIDGE', `library ${library} holds no cleaning cartridge (CLN barcode) in its slots; insert one and run inventory`, { library }),
  invalidSlot: (slot: number, library: string, why: string) => err('INVALID_SLOT', `slot ${slot} of library ${library} ${why}`, { slot, library }),
  slotOccupied: (slot: number, library: string, barcode: string, why = 'holds') =>
    err('SLOT_OCCUPIED', `slot ${slot} of library ${library} ${why} ${barcode}; choose an empty slot`, { slot, library, barcode }),
  libraryNotFound: (agent: string, library: string) =>
    err('LIBRARY_NOT_FOUND', `agent ${agent} has no library named ${JSON.stringify(library)}`, { agent, library }),
  invalidArgument: (message: string, details: Record<string, unknown> = {}) => err('INVALID_ARGUMENT', message, details),
};
