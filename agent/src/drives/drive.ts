// The one interface job handlers use to reach tape, whatever the backend (emulated or real LTFS).
// A library (changer) moves cartridges between slots and drives; a drive formats and mounts the
// cartridge it holds; a mounted volume is an LTFS file system on a directory, plus what LTFS knows
// about where each file lies on tape.
import type { Readable, Writable } from 'node:stream';

export type BackendKind = 'emulated' | 'ltfs';
export type Partition = 'a' | 'b';

/** LTFS and the emulator both position data in 512 KiB blocks. */
export const BLOCK_SIZE = 512 * 1024;

export interface SlotContent {
  slot: number;
  barcode: string | null;
  importExport: boolean;
}

export interface LibraryDriveContent {
  driveIndex: number;
  barcode: string | null;
  /** Slot the cartridge came from, so it can go home on unload. */
  sourceSlot: number | null;
}

export interface LibraryStatus {
  slots: SlotContent[];
  drives: LibraryDriveContent[];
}

/** A tape library (medium changer). Slot and drive numbers are 1-based slots and 0-based drives, as in mtx. */
export interface TapeLibrary {
  readonly name: string;
  readonly serial: string;
  status(): Promise<LibraryStatus>;
  /** Moves the cartridge in `slot` into drive `driveIndex`. */
  load(slot: number, driveIndex: number): Promise<void>;
  /** Moves the cartridge in drive `driveIndex` to `slot` (its source slot when omitted). */
  unload(driveIndex: number, slot?: number): Promise<void>;
  /** Moves a cartridge from one slot to another (including import/export slots). */
  transfer(fromSlot: number, toSlot: number): Promise<void>;
}

export interface DriveIdentity {
  name: string;
  serial: string;
  vendor: string;
  model: string;
  generation: number;
  backend: BackendKind;
  /** Library this drive sits in, and its index there; null for a standalone drive. */
  libraryName: string | null;
  libraryDriveIndex: number;
}

export interface CartridgeInfo {
  barcode: string;
  generation: number;
  capacityBytes: number;
  usedBytes: number;
  writeProtected: boolean;
  formatted: boolean;
  volumeUuid: string | null;
  /** The volume was not unmounted cleanly and must be checked before it is mounted read-write. */
  dirty: boolean;
  /** A cleaning cartridge (CLN barcode): it can be loaded to clean a drive, never hold data. */
  cleaning?: boolean;
  /** Write Once Read Many media. */
  worm?: boolean;
  /** False when the backend only knows the barcode (e.g. an LTFS cartridge not mounted since it
   *  was loaded): the catalog then keeps what it learnt before. Absent means true. */
  detailsKnown?: boolean;
}

export interface FormatOptions {
  /** Volume serial and name: Ferrite uses the barcode for both. */
  barcode: string;
  /** Format even when the volume already holds files. */
  force: boolean;
}

export interface MountOptions {
  readOnly?: boolean;
}

export interface TapeDrive {
  readonly identity: DriveIdentity;
  /** The cartridge in the drive, read from the drive (not from any cache); null when empty. */
  loaded(): Promise<CartridgeInfo | null>;
  /** Writes a new, empty LTFS volume on the loaded cartridge. */
  format(options: FormatOptions): Promise<{ volumeUuid: string }>;
  /** Fails with VOLUME_DIRTY when the volume was not unmounted cleanly: run `check` first. */
  mount(options?: MountOptions): Promise<MountedVolume>;
  /** Checks and repairs the loaded volume (ltfsck): recovers the last consistent index and clears
   *  the dirty state. Data written after the last index sync is not recovered. */
  check(options?: CheckOptions): Promise<CheckResult>;
  /** Active TapeAlert flags of the drive by name (e.g. CLEAN_NOW); absent on backends that only
   *  learn them while a volume is mounted. */
  alerts?(): Promise<string[]>;
  /** Runs a cleaning cycle with the cleaning cartridge that is loaded. Real drives clean by
   *  themselves when a cleaning cartridge is loaded, so backends without it need no call. */
  clean?(): Promise<void>;
  /** A standalone drive (no changer) ejects its cartridge for the operator to take; returns the
   *  barcode ejected (null: the drive was empty). Absent on backends that cannot. */
  eject?(): Promise<string | null>;
  /** A standalone drive that learns a cartridge's barcode from its volume: it holds a cartridge
   *  with no readable volume (a new tape), which only a format may take. */
  unlabelled?(): Promise<boolean>;
}

/** TapeAlert flags that ask for a cleaning cartridge. */
export const CLEANING_ALERTS: readonly string[] = ['CLEAN_NOW', 'CLEAN_PERIODIC'];

export interface CheckOptions {
  /** Roll the volume back to this index generation (ltfsck -g GEN -r). */
  rollbackGeneration?: number;
}

export interface CheckResult {
  /** The volume needed a repair (it was dirty). */
  repaired: boolean;
  /** Files present on the medium that no index described, dropped by the repair. */
  lostFiles: string[];
}

export interface FilePosition {
  partition: Partition;
  startBlock: number;
  size: number;
}

export interface VolumeSpace {
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
  /** Writing has entered the early-warning zone: finish the current object and change tapes. */
  earlyWarning: boolean;
  /** Bytes that can still be written before the early-warning zone (0 once in it): where a file
   *  that does not fit is cut, so its first segment ends the tape. */
  bytesBeforeEarlyWarning: number;
}

/**
 * An LTFS volume mounted on a directory. Paths are relative to the volume root and use '/'.
 * Data must be written through `createWriteStream` so the backend can account for capacity;
 * everything written is durable only after `sync()` or `unmount()` returns.
 */
export interface MountedVolume {
  readonly barcode: string;
  readonly readOnly: boolean;
  /** What the drive repaired by itself while mounting (a volume not unmounted cleanly, brought back
   *  to its last index), for the job log; absent when nothing was. */
  readonly recoveredAtMount?: string;
  /** Directory where the volume is mounted (readable with plain fs calls). */
  readonly root: string;
  space(): Promise<VolumeSpace>;
  /** Creates (or replaces) a file; parent directories are created as needed. Fails with
   *  END_OF_MEDIUM when the tape is full, WRITE_PROTECTED on a protected or read-only volume. */
  createWriteStream(relPath: string): Promise<Writable>;
  createReadStream(relPath: string, range?: { start: number; end: number }): Readable;
  /** Where LTFS placed the file (user.ltfs.partition / user.ltfs.startblock). */
  position(relPath: string): Promise<FilePosition>;
  exists(relPath: string): Promise<boolean>;
  /** Lists file paths under a directory of the volume, recursively, relative to the volume root. */
  list(relDir: string): Promise<string[]>;
  /** Forces an LTFS index write, making everything written so far durable. */
  sync(): Promise<void>;
  /** Writes the index and releases the volume; waits until the index is really on tape. */
  unmount(): Promise<void>;
}

export type TapeErrorCode =
  | 'NO_TAPE'
  | 'DRIVE_OCCUPIED'
  | 'DRIVE_BUSY'
  | 'SLOT_EMPTY'
  | 'SLOT_OCCUPIED'
  | 'UNKNOWN_SLOT'
  | 'UNKNOWN_DRIVE'
  | 'UNKNOWN_BARCODE'
  | 'WRITE_PROTECTED'
  | 'END_OF_MEDIUM'
  | 'NOT_FORMATTED'
  | 'VOLUME_NOT_EMPTY'
  | 'VOLUME_DIRTY'
  | 'ALREADY_MOUNTED'
  | 'NOT_MOUNTED'
  | 'MEDIUM_ERROR'
  | 'FILE_NOT_FOUND'
  /** A cleaning cartridge is loaded: it can be moved, but not formatted, mounted or checked. */
  | 'CLEANING_CARTRIDGE'
  /** A data cartridge where a cleaning cartridge is needed. */
  | 'NOT_CLEANING_CARTRIDGE'
  /** WORM media: a written volume cannot be reformatted and files cannot be overwritten. */
  | 'WORM_MEDIUM'
  /** The backend cannot do what was asked (e.g. a rollback on the emulated drive). */
  | 'UNSUPPORTED';

/** Every backend failure carries one of these codes, so job handlers and the server can act on it. */
export class TapeError extends Error {
  constructor(
    readonly code: TapeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TapeError';
  }
}
