// What an operator's hands do at an emulated library, for the `ferrite-emulated` tool and for tests:
// list a library and its shelf, take a cartridge out of a slot onto the shelf, put a shelf cartridge
// into a slot. They work from the library directory alone (library.json records the shelf and the
// number of import/export slots), while the agent runs or not: library.json is changed under its
// cross-process lock and written atomically, and on a shared shelf the move and the holder record
// change together under the shelf lock (shelf.ts). The agent notices at its next inventory.
// Every refusal is a ShelfOperatorError with a stable code, and changes nothing.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readJsonFile } from './atomic-file.js';
import type { CartridgeState } from './cartridge-state.js';
import { assertValidBarcode, listedBarcodes, readLibraryState, updateLibraryState, type LibraryStateFile } from './library-state.js';
import { describeHolder, Shelf, type ShelfHolder } from './shelf.js';

export type ShelfOperatorErrorCode =
  | 'NO_LIBRARY'
  | 'INVALID_BARCODE'
  | 'NOT_IN_LIBRARY'
  | 'IN_DRIVE'
  | 'ALREADY_IN_LIBRARY'
  | 'HELD_BY_OTHER_LIBRARY'
  | 'NOT_ON_SHELF'
  | 'UNKNOWN_SLOT'
  | 'SLOT_OCCUPIED'
  | 'LIBRARY_FULL'
  | 'UNKNOWN_DRIVE'
  | 'DRIVE_OCCUPIED'
  | 'DRIVE_EMPTY'
  | 'VOLUME_IN_USE';

export class ShelfOperatorError extends Error {
  constructor(
    readonly code: ShelfOperatorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ShelfOperatorError';
  }
}

export interface ShelfCartridge {
  barcode: string;
  /** The library holding it (a shared shelf only), or null: on the shelf, in no library. */
  heldBy: { name: string; library: string } | null;
  formatted: boolean;
  volumeName: string | null;
}

export interface LibraryListing {
  library: { dir: string; name: string; serial: string };
  shelf: { dir: string; shared: boolean };
  slots: Array<{ slot: number; barcode: string | null; importExport: boolean; heldBy: { name: string; library: string } | null }>;
  drives: Array<{ drive: string; barcode: string | null; heldBy: { name: string; library: string } | null }>;
  /** Every cartridge whose contents are on the shelf, with where it is. */
  shelfCartridges: ShelfCartridge[];
}

interface Opened {
  dir: string;
  state: LibraryStateFile;
  shelf: Shelf;
  me: ShelfHolder;
}

async function openLibrary(libraryDir: string): Promise<Opened> {
  const dir = resolve(libraryDir);
  const state = await readLibraryState(dir);
  if (!state) throw new ShelfOperatorError('NO_LIBRARY', `no emulated library in ${dir} (no library.json): give the library's "dir" from the agent config`);
  const shelf = state.shelfDir ? new Shelf(state.shelfDir, true) : new Shelf(dir, false);
  return { dir, state, shelf, me: { library: dir, name: state.name, serial: state.serial } };
}

function validBarcode(barcode: string): string {
  try {
    assertValidBarcode(barcode);
  } catch (err) {
    throw new ShelfOperatorError('INVALID_BARCODE', (err as Error).message);
  }
  return barcode;
}

function ioSlots(state: LibraryStateFile): number {
  return Math.min(state.importExportSlots ?? 0, state.slots.length);
}

/** The library's slots and drives, and every cartridge on its shelf with the library holding it. */
export async function listLibrary(libraryDir: string): Promise<LibraryListing> {
  const { dir, state, shelf, me } = await openLibrary(libraryDir);
  const elsewhere = async (barcode: string | null) => {
    const holder = barcode === null ? null : await shelf.heldElsewhere(barcode, me);
    return holder ? { name: holder.name, library: holder.library } : null;
  };
  const firstIo = state.slots.length - ioSlots(state);
  const slots = [];
  for (const [i, barcode] of state.slots.entries()) slots.push({ slot: i + 1, barcode, importExport: i >= firstIo, heldBy: await elsewhere(barcode) });
  const drives = [];
  for (const [i, d] of state.drives.entries()) drives.push({ drive: `drive${i}`, barcode: d.barcode, heldBy: await elsewhere(d.barcode) });
  const listed = new Set(listedBarcodes(state));
  const shelfCartridges: ShelfCartridge[] = [];
  for (const barcode of await shelf.barcodes()) {
    const cartridge = await readJsonFile<CartridgeState>(join(shelf.cartridgesDir(), barcode, 'cartridge.json')).catch(() => null);
    const holder = await shelf.holderOf(barcode);
    const heldBy = holder ? { name: holder.name, library: holder.library } : listed.has(barcode) ? { name: state.name, library: dir } : null;
    shelfCartridges.push({ barcode, heldBy, formatted: cartridge?.formatted ?? false, volumeName: cartridge?.volumeName ?? null });
  }
  return { library: { dir, name: state.name, serial: state.serial }, shelf: { dir: shelf.dir, shared: shelf.shared }, slots, drives, shelfCartridges };
}

/** Takes `barcode` out of its slot (an import/export slot or any other) onto the shelf; refuses one in a drive. */
export async function removeCartridge(libraryDir: string, barcode: string): Promise<{ slot: number }> {
  validBarcode(barcode);
  const { dir, shelf, me } = await openLibrary(libraryDir);
  return shelf.locked(async () => {
    const slot = await updateLibraryState(dir, (state) => {
      if (!state) throw new ShelfOperatorError('NO_LIBRARY', `no emulated library in ${dir} (library.json is gone)`);
      const driveIndex = state.drives.findIndex((d) => d.barcode === barcode);
      if (driveIndex >= 0) {
        throw new ShelfOperatorError('IN_DRIVE', `${barcode} is loaded in drive${driveIndex} of library ${state.name}: unload it to a slot first`);
      }
      const i = state.slots.indexOf(barcode);
      if (i < 0) throw new ShelfOperatorError('NOT_IN_LIBRARY', `${barcode} is in no slot of library ${state.name} (${dir})`);
      state.slots[i] = null;
      return { write: state, result: i + 1 };
    });
    await shelf.releaseLocked(barcode, me);
    return { slot };
  });
}

export interface InsertOptions {
  /** The slot to put it in (1-based); default a free import/export slot, else the first free slot. */
  slot?: number;
  /** Allow a barcode the shelf has never seen: a new blank cartridge. */
  newCartridge?: boolean;
}

/** Puts a shelf cartridge into a free slot of the library; refuses one another library holds. */
export async function insertCartridge(libraryDir: string, barcode: string, options: InsertOptions = {}): Promise<{ slot: number }> {
  validBarcode(barcode);
  const { dir, shelf, me } = await openLibrary(libraryDir);
  const onShelf = await stat(join(shelf.cartridgesDir(), barcode)).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!onShelf && !options.newCartridge) {
    throw new ShelfOperatorError(
      'NOT_ON_SHELF',
      `no cartridge ${barcode} on the shelf ${shelf.cartridgesDir()}: check the barcode, or pass --new to insert a new blank cartridge`,
    );
  }
  return shelf.locked(async () => {
    const slot = await updateLibraryState(dir, async (state) => {
      if (!state) throw new ShelfOperatorError('NO_LIBRARY', `no emulated library in ${dir} (library.json is gone)`);
      if (listedBarcodes(state).includes(barcode)) {
        const where =
          state.slots.indexOf(barcode) >= 0 ? `slot ${state.slots.indexOf(barcode) + 1}` : `drive${state.drives.findIndex((d) => d.barcode === barcode)}`;
        throw new ShelfOperatorError('ALREADY_IN_LIBRARY', `${barcode} is already in ${where} of library ${state.name}`);
      }
      const holder = await shelf.heldElsewhere(barcode, me);
      if (holder) {
        throw new ShelfOperatorError(
          'HELD_BY_OTHER_LIBRARY',
          `${barcode} is in ${describeHolder(holder)}: remove it from there first (ferrite-emulated remove --library ${holder.library} ${barcode})`,
        );
      }
      const target = chooseSlot(state, options.slot);
      // Claimed and listed under the shelf lock, so no other library can take it in between.
      await shelf.claimLocked(barcode, me);
      state.slots[target - 1] = barcode;
      return { write: state, result: target };
    });
    return { slot };
  });
}

function chooseSlot(state: LibraryStateFile, wanted: number | undefined): number {
  if (wanted !== undefined) {
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > state.slots.length) {
      throw new ShelfOperatorError('UNKNOWN_SLOT', `library ${state.name} has no slot ${wanted} (slots 1..${state.slots.length})`);
    }
    const occupant = state.slots[wanted - 1];
    if (occupant !== null) throw new ShelfOperatorError('SLOT_OCCUPIED', `slot ${wanted} of library ${state.name} already holds ${occupant}`);
    return wanted;
  }
  const firstIo = state.slots.length - ioSlots(state);
  const free = state.slots.map((b, i) => (b === null ? i + 1 : 0)).filter((s) => s > 0);
  const target = free.find((s) => s > firstIo) ?? free[0];
  if (target === undefined) throw new ShelfOperatorError('LIBRARY_FULL', `library ${state.name} has no free slot (${state.slots.length} slots, all full)`);
  return target;
}

export interface DriveInsertOptions {
  /** The drive (0-based); default the first empty one. */
  drive?: number;
  /** Allow a barcode the shelf has never seen: a new blank cartridge. */
  newCartridge?: boolean;
}

/**
 * Puts a shelf cartridge straight into an empty drive (a standalone drive, which has no slots; the
 * agent notices it by itself). Refuses one another library holds, or one already in this library.
 */
export async function insertIntoDrive(libraryDir: string, barcode: string, options: DriveInsertOptions = {}): Promise<{ drive: number }> {
  validBarcode(barcode);
  const { dir, shelf, me } = await openLibrary(libraryDir);
  await assertOnShelf(shelf, barcode, options.newCartridge ?? false);
  return shelf.locked(async () => {
    const drive = await updateLibraryState(dir, async (state) => {
      if (!state) throw new ShelfOperatorError('NO_LIBRARY', `no emulated library in ${dir} (library.json is gone)`);
      if (listedBarcodes(state).includes(barcode)) throw new ShelfOperatorError('ALREADY_IN_LIBRARY', `${barcode} is already in library ${state.name}`);
      const holder = await shelf.heldElsewhere(barcode, me);
      if (holder) {
        throw new ShelfOperatorError(
          'HELD_BY_OTHER_LIBRARY',
          `${barcode} is in ${describeHolder(holder)}: remove it from there first (ferrite-emulated remove --library ${holder.library} ${barcode})`,
        );
      }
      const target = chooseDrive(state, options.drive);
      await shelf.claimLocked(barcode, me);
      state.drives[target] = { ...state.drives[target], barcode, sourceSlot: null };
      return { write: state, result: target };
    });
    return { drive };
  });
}

/**
 * Takes the cartridge out of a drive onto the shelf (the operator at a standalone drive, or the
 * drive's own eject). Refuses a volume in use (mounted read-write: its cartridge is dirty) unless
 * `force` (the agent's own eject, which knows it unmounted it).
 */
export async function ejectFromDrive(libraryDir: string, drive = 0, options: { force?: boolean } = {}): Promise<{ barcode: string }> {
  const { dir, shelf, me } = await openLibrary(libraryDir);
  return shelf.locked(async () => {
    const barcode = await updateLibraryState(dir, async (state) => {
      if (!state) throw new ShelfOperatorError('NO_LIBRARY', `no emulated library in ${dir} (library.json is gone)`);
      const d = driveAt(state, drive);
      if (d.barcode === null) throw new ShelfOperatorError('DRIVE_EMPTY', `drive${drive} of library ${state.name} is empty`);
      if (!options.force) {
        const cartridge = await readJsonFile<CartridgeState>(join(shelf.cartridgesDir(), d.barcode, 'cartridge.json')).catch(() => null);
        if (cartridge?.dirty) {
          throw new ShelfOperatorError(
            'VOLUME_IN_USE',
            `${d.barcode} in drive${drive} is mounted (or was not unmounted cleanly): wait for the agent to eject it`,
          );
        }
      }
      const ejected = d.barcode;
      state.drives[drive] = { ...d, barcode: null, sourceSlot: null };
      return { write: state, result: ejected };
    });
    await shelf.releaseLocked(barcode, me);
    return { barcode };
  });
}

async function assertOnShelf(shelf: Shelf, barcode: string, newCartridge: boolean): Promise<void> {
  const onShelf = await stat(join(shelf.cartridgesDir(), barcode)).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!onShelf && !newCartridge) {
    throw new ShelfOperatorError(
      'NOT_ON_SHELF',
      `no cartridge ${barcode} on the shelf ${shelf.cartridgesDir()}: check the barcode, or pass --new to insert a new blank cartridge`,
    );
  }
}

function driveAt(state: LibraryStateFile, drive: number): LibraryStateFile['drives'][number] {
  const d = Number.isInteger(drive) ? state.drives[drive] : undefined;
  if (!d) throw new ShelfOperatorError('UNKNOWN_DRIVE', `library ${state.name} has no drive ${drive} (drives 0..${state.drives.length - 1})`);
  return d;
}

function chooseDrive(state: LibraryStateFile, wanted: number | undefined): number {
  if (wanted !== undefined) {
    const d = driveAt(state, wanted);
    if (d.barcode !== null) throw new ShelfOperatorError('DRIVE_OCCUPIED', `drive${wanted} of library ${state.name} already holds ${d.barcode}`);
    return wanted;
  }
  const free = state.drives.findIndex((d) => d.barcode === null);
  if (free < 0) throw new ShelfOperatorError('DRIVE_OCCUPIED', `every drive of library ${state.name} holds a cartridge`);
  return free;
}
