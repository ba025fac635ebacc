// library.json: which cartridge sits in which slot and drive of an emulated library. The file is the
// only truth: every operation re-reads it, so another process opening the same directory sees the
// same library. Every read-modify-write goes through updateLibraryState, which holds a lock file
// (library.json.lock) so the agent and the operator tool (`ferrite-emulated`, another process)
// never lose each other's changes; readers need no lock since writes are atomic renames.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from './atomic-file.js';
import { withFileLock } from './file-lock.js';

export interface LibraryDriveState {
  barcode: string | null;
  sourceSlot: number | null;
  /** Active TapeAlert flags of the drive (tests inject them; a cleaning cycle clears the cleaning ones). */
  alerts?: string[];
}

export interface LibraryStateFile {
  format: 1;
  name: string;
  serial: string;
  /** Index 0 holds slot 1. */
  slots: (string | null)[];
  drives: LibraryDriveState[];
  /** The shared shelf holding the cartridges' contents (absolute), when configured; recorded so the
   *  operator tool finds it from the library directory. Absent: cartridges/ in the library directory. */
  shelfDir?: string;
  /** How many of the last slots are import/export (mail) slots, as configured (for the operator tool). */
  importExportSlots?: number;
  /** A standalone drive (no changer, no slots): the operator puts cartridges straight into the drive. */
  standalone?: boolean;
}

const BARCODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** Barcodes name directories on disk, so only plain label characters are accepted. */
export function assertValidBarcode(barcode: string): void {
  if (!BARCODE_PATTERN.test(barcode)) {
    throw new RangeError(`invalid barcode ${JSON.stringify(barcode)}: use 1-32 letters, digits, '-' or '_'`);
  }
}

export function libraryStatePath(dir: string): string {
  return join(dir, 'library.json');
}

export async function readLibraryState(dir: string): Promise<LibraryStateFile | null> {
  return readJsonFile<LibraryStateFile>(libraryStatePath(dir));
}

export async function writeLibraryState(dir: string, state: LibraryStateFile): Promise<void> {
  await writeJsonAtomic(libraryStatePath(dir), state);
}

/** Every barcode the library lists, in slots and drives. */
export function listedBarcodes(state: LibraryStateFile): string[] {
  return [...state.slots, ...state.drives.map((d) => d.barcode)].filter((b): b is string => b !== null);
}

/**
 * Read-modify-write of library.json under its cross-process lock: `change` gets the current state
 * (null when there is none yet) and returns the state to write, or undefined to write nothing (a
 * throw writes nothing either). In-process callers also hold the library's Mutex.
 */
export async function updateLibraryState<T>(
  dir: string,
  change: (state: LibraryStateFile | null) => { write?: LibraryStateFile; result: T } | Promise<{ write?: LibraryStateFile; result: T }>,
): Promise<T> {
  return withFileLock(`${libraryStatePath(dir)}.lock`, async () => {
    const { write, result } = await change(await readLibraryState(dir));
    if (write) await writeLibraryState(dir, write);
    return result;
  });
}

export function newLibraryState(name: string, serialPrefix: string, slots: number, drives: number, barcodes: string[]): LibraryStateFile {
  if (barcodes.length > slots) throw new RangeError(`${barcodes.length} barcodes do not fit in ${slots} slots`);
  const seen = new Set<string>();
  for (const barcode of barcodes) {
    assertValidBarcode(barcode);
    if (seen.has(barcode)) throw new RangeError(`duplicate barcode ${barcode}`);
    seen.add(barcode);
  }
  return {
    format: 1,
    name,
    serial: `${serialPrefix}${randomBytes(4).toString('hex').toUpperCase()}`,
    slots: Array.from({ length: slots }, (_, i) => barcodes[i] ?? null),
    drives: Array.from({ length: drives }, () => ({ barcode: null, sourceSlot: null })),
  };
}

/**
 * Grows or shrinks an existing library to the configured number of slots and drives. Shrinking is
 * refused when it would drop a cartridge. Returns whether anything changed.
 */
export function resizeLibraryState(state: LibraryStateFile, slots: number, drives: number): boolean {
  const droppedSlots = state.slots.slice(slots).filter((b) => b !== null);
  const droppedDrives = state.drives.slice(drives).filter((d) => d.barcode !== null);
  if (droppedSlots.length > 0 || droppedDrives.length > 0) {
    throw new Error(
      `cannot shrink library ${state.name} to ${slots} slots and ${drives} drives: ` +
        `cartridges ${[...droppedSlots, ...droppedDrives.map((d) => d.barcode)].join(', ')} are in the removed positions`,
    );
  }
  const changed = state.slots.length !== slots || state.drives.length !== drives;
  state.slots = Array.from({ length: slots }, (_, i) => state.slots[i] ?? null);
  state.drives = Array.from({ length: drives }, (_, i) => state.drives[i] ?? { barcode: null, sourceSlot: null });
  return changed;
}
