// Opens (creating on first use) an emulated tape library on a directory and returns it with its
// drives. The directory is the library: a second process opening it sees the same cartridges. With a
// shelfDir, the cartridges' contents live on that shared shelf instead (shelf.ts), so a cartridge
// taken out of one library and put into another keeps its data.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BLOCK_SIZE } from '../drive.js';
import { ltoGeneration } from '../generations.js';
import { CartridgeStore } from './cartridge-state.js';
import type { EmulatedContext } from './emulated-context.js';
import { EmulatedDrive } from './emulated-drive.js';
import { EmulatedLibrary } from './emulated-library.js';
import { listedBarcodes, newLibraryState, resizeLibraryState, updateLibraryState } from './library-state.js';
import { mutexForDirectory } from './mutex.js';
import { Shelf, type ShelfHolder } from './shelf.js';
import { DriveTiming } from './timing.js';

export interface EmulatedLibraryConfig {
  name: string;
  dir: string;
  slots: number;
  drives: number;
  /** LTO generation of the drives (5..10); also the media generation of barcodes without an Lx suffix. */
  generation: number;
  /** Capacity of every new cartridge; default the media generation's native capacity. Tests use a few MB. */
  capacityBytes?: number;
  /** Early-warning zone before the end of a cartridge; default 2% of its capacity, at least 4 blocks. */
  earlyWarningBytes?: number;
  /** Cartridges put in slots 1..n when the library directory is new (ignored afterwards). */
  barcodes?: string[];
  /** 0 = no delays (default); 1 = real LTO load/unload/locate times and streaming rate. */
  timeScale?: number;
  /** Prefix of the generated library serial (default 'EMU'); drive serials extend the library's. */
  serialPrefix?: string;
  /** The last N slots are import/export (mail) slots, where an operator takes cartridges out and puts them in. */
  importExportSlots?: number;
  /**
   * Directory holding the cartridges' contents, shared by every emulated library configured with the
   * same shelf (on this agent or others of the machine): a cartridge moved between them keeps its
   * data, and is held by one library at a time. Default: cartridges/ in the library directory.
   */
  shelfDir?: string;
  /**
   * False: no changer, standalone drives. `slots` is then ignored (0); an operator inserts
   * cartridges straight into a drive (ferrite-emulated insert --drive N) and takes them out (eject).
   * The state is still library.json of `dir` (its drives[]). Default true.
   */
  changer?: boolean;
  /** Drive names are this plus the index (default 'drive': drive0, drive1...). Two libraries of
   *  one agent need different prefixes: drive names are unique per agent. */
  driveNamePrefix?: string;
}

export interface OpenedEmulatedLibrary {
  library: EmulatedLibrary;
  drives: EmulatedDrive[];
}

const MIN_EARLY_WARNING_BLOCKS = 4;

export async function openEmulatedLibrary(config: EmulatedLibraryConfig): Promise<OpenedEmulatedLibrary> {
  const standalone = config.changer === false;
  if (standalone) config = { ...config, slots: 0, importExportSlots: 0, barcodes: [] };
  validate(config);
  const dir = resolve(config.dir);
  const driveGeneration = ltoGeneration(config.generation);
  const mutex = mutexForDirectory(dir);
  await mkdir(dir, { recursive: true });

  const shelf = new Shelf(config.shelfDir ?? dir, config.shelfDir !== undefined);
  const importExportSlots = Math.min(config.importExportSlots ?? 0, config.slots);

  const state = await mutex.run(() =>
    updateLibraryState(dir, (existing) => {
      const current = existing ?? newLibraryState(config.name, config.serialPrefix ?? 'EMU', config.slots, config.drives, config.barcodes ?? []);
      let changed = existing === null || resizeLibraryState(current, config.slots, config.drives);
      // Recorded for the operator tool, which only knows the library directory.
      const shelfDir = shelf.shared ? shelf.dir : undefined;
      if (current.shelfDir !== shelfDir || current.importExportSlots !== importExportSlots || (current.standalone ?? false) !== standalone) {
        if (shelfDir === undefined) delete current.shelfDir;
        else current.shelfDir = shelfDir;
        current.importExportSlots = importExportSlots;
        if (standalone) current.standalone = true;
        else delete current.standalone;
        changed = true;
      }
      return { write: changed ? current : undefined, result: current };
    }),
  );

  const holder: ShelfHolder = { library: dir, name: config.name, serial: state.serial };
  const store = new CartridgeStore(shelf.dir, { libraryGeneration: config.generation, capacityBytes: config.capacityBytes });
  const ctx: EmulatedContext = {
    dir,
    libraryName: config.name,
    librarySerial: state.serial,
    mutex,
    store,
    shelf,
    holder,
    driveGeneration,
    timing: new DriveTiming(driveGeneration, config.timeScale ?? 0),
    importExportSlots,
    standalone,
    driveNamePrefix: config.driveNamePrefix ?? 'drive',
    earlyWarningBytes: (capacityBytes) => config.earlyWarningBytes ?? Math.max(MIN_EARLY_WARNING_BLOCKS * BLOCK_SIZE, Math.floor(capacityBytes * 0.02)),
  };
  // Cartridges in slots get their state now, so loaded()/status() never have to invent it; on a
  // shared shelf this library claims them first, and leaves alone those another library holds.
  const ours: string[] = [];
  for (const barcode of listedBarcodes(state)) {
    if ((await shelf.claim(barcode, holder)) === null) ours.push(barcode);
  }
  await mutex.run(async () => {
    for (const barcode of ours) await store.read(barcode);
  });
  const drives = Array.from({ length: config.drives }, (_, i) => new EmulatedDrive(ctx, i));
  return { library: new EmulatedLibrary(ctx, drives), drives };
}

function validate(config: EmulatedLibraryConfig): void {
  const positiveInt = (value: number, what: string, min: number): void => {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`emulated library ${what} must be an integer >= ${min}, got ${value}`);
  };
  if (!config.name) throw new RangeError('emulated library needs a name');
  positiveInt(config.slots, 'slots', config.changer === false ? 0 : 1);
  positiveInt(config.drives, 'drives', 1);
  if (config.capacityBytes !== undefined) positiveInt(config.capacityBytes, 'capacityBytes', BLOCK_SIZE);
  if (config.earlyWarningBytes !== undefined) positiveInt(config.earlyWarningBytes, 'earlyWarningBytes', 0);
  if (config.timeScale !== undefined && !(config.timeScale >= 0)) {
    throw new RangeError(`emulated library timeScale must be >= 0, got ${config.timeScale}`);
  }
}
