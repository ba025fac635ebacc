// What the emulated library, its drives and their mounted volumes share: where state lives, the lock
// that serializes state-file updates, and the drive generation's timings.
import type { LtoGeneration } from '../generations.js';
import type { CartridgeStore } from './cartridge-state.js';
import type { Mutex } from './mutex.js';
import type { Shelf, ShelfHolder } from './shelf.js';
import type { DriveTiming } from './timing.js';

export interface EmulatedContext {
  dir: string;
  libraryName: string;
  librarySerial: string;
  /** Serializes every read-modify-write of library.json and cartridge.json. */
  mutex: Mutex;
  store: CartridgeStore;
  /** Where the cartridges' contents live, and who holds each when other libraries share it. */
  shelf: Shelf;
  /** This library, as the shelf's holder records name it. */
  holder: ShelfHolder;
  driveGeneration: LtoGeneration;
  timing: DriveTiming;
  /** How many of the last slots are import/export slots. */
  importExportSlots: number;
  /** No changer: the drives are standalone (their identity names no library; cartridges come and
   *  go by an operator's hand, shelf-operator.ts insertIntoDrive / ejectFromDrive). */
  standalone: boolean;
  /** Drive names are this plus the drive's index (drive0, drive1, ...). */
  driveNamePrefix: string;
  /** Size of the early-warning zone for a cartridge of this capacity. */
  earlyWarningBytes(capacityBytes: number): number;
}
