// One emulated LTO drive of an emulated library: formats, mounts and checks the cartridge the
// library put in it. What is loaded is always read from library.json and cartridge.json (never
// cached), so the answers match what another process sees.
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import {
  BLOCK_SIZE,
  CLEANING_ALERTS,
  TapeError,
  type CartridgeInfo,
  type CheckOptions,
  type CheckResult,
  type DriveIdentity,
  type FormatOptions,
  type MountOptions,
  type TapeDrive,
} from '../drive.js';
import { canRead, canWrite } from '../generations.js';
import type { CartridgeState, VolumeIndex } from './cartridge-state.js';
import type { EmulatedContext } from './emulated-context.js';
import { EmulatedVolume } from './emulated-volume.js';
import { readLibraryState, updateLibraryState } from './library-state.js';
import { describeHolder } from './shelf.js';
import { ejectFromDrive } from './shelf-operator.js';
import { recoverToIndex, walkFiles } from './volume-recovery.js';

export class EmulatedDrive implements TapeDrive {
  readonly identity: DriveIdentity;
  private volume: EmulatedVolume | null = null;
  /** The operation holding the drive (format, check, mount, load, unload), if any. */
  private operation: string | null = null;

  constructor(
    private readonly ctx: EmulatedContext,
    readonly index: number,
  ) {
    const generation = ctx.driveGeneration.generation;
    this.identity = {
      name: `${ctx.driveNamePrefix}${index}`,
      serial: `${ctx.librarySerial}D${index}`,
      vendor: 'FERRITE',
      model: `EMULATED-LTO${generation}`,
      generation,
      backend: 'emulated',
      libraryName: ctx.standalone ? null : ctx.libraryName,
      libraryDriveIndex: index,
    };
  }

  /** The volume mounted in this drive by this process, if any. */
  get mountedVolume(): EmulatedVolume | null {
    return this.volume;
  }

  /** Why the cartridge cannot be moved right now, or null. */
  busyReason(): string | null {
    if (this.operation) return `${this.operation} in progress`;
    if (this.volume) return `volume ${this.volume.barcode} is mounted`;
    return null;
  }

  /** Holds the drive for the duration of `fn` (the library uses it while a cartridge moves). */
  async hold<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const busy = this.busyReason();
    if (busy) throw new TapeError('DRIVE_BUSY', `${this.identity.name} is busy: ${busy}`);
    this.operation = operation;
    try {
      return await fn();
    } finally {
      this.operation = null;
    }
  }

  async loaded(): Promise<CartridgeInfo | null> {
    const barcode = await this.loadedBarcode();
    // A cartridge another library sharing the shelf holds is not seen here (library.json edited by hand).
    if (barcode === null || (await this.ctx.shelf.heldElsewhere(barcode, this.ctx.holder))) return null;
    const state = await this.ctx.mutex.run(() => this.ctx.store.read(barcode));
    const usedBlocks = this.volume?.barcode === barcode ? this.volume.usedBlocks : state.nextBlock.b;
    return {
      barcode,
      generation: state.generation,
      capacityBytes: state.capacityBytes,
      usedBytes: usedBlocks * BLOCK_SIZE,
      writeProtected: state.writeProtected,
      formatted: state.formatted,
      volumeUuid: state.volumeUuid,
      dirty: state.dirty,
      cleaning: state.cleaning,
      worm: state.worm ?? false,
    };
  }

  /**
   * A standalone drive ejects its cartridge for the operator: it leaves the drive (back onto the
   * shelf). In a library the changer moves cartridges instead (EmulatedLibrary.unload).
   */
  async eject(): Promise<string | null> {
    if (!this.ctx.standalone) throw new TapeError('UNSUPPORTED', `${this.identity.name} sits in library ${this.ctx.libraryName}: unload it to a slot`);
    this.assertNotMounted('eject');
    return this.hold('eject', async () => {
      if ((await this.loadedBarcode()) === null) return null;
      await this.ctx.timing.unload();
      return (await ejectFromDrive(this.ctx.dir, this.index, { force: true })).barcode;
    });
  }

  async alerts(): Promise<string[]> {
    const library = await readLibraryState(this.ctx.dir);
    return [...(library?.drives[this.index]?.alerts ?? [])];
  }

  /** Emulator only: raises TapeAlert flags on this drive, as a failing drive would. */
  async injectAlerts(flags: string[]): Promise<void> {
    await this.changeAlerts((current) => [...new Set([...current, ...flags])]);
  }

  /** A cleaning cycle: needs a cleaning cartridge in the drive, takes a load's time, clears the
   *  cleaning alerts. */
  async clean(): Promise<void> {
    await this.hold('clean', async () => {
      const barcode = await this.loadedBarcode();
      if (barcode === null) throw new TapeError('NO_TAPE', `cannot clean: ${this.identity.name} holds no cleaning cartridge`);
      const state = await this.ctx.mutex.run(() => this.ctx.store.read(barcode));
      if (!state.cleaning) throw new TapeError('NOT_CLEANING_CARTRIDGE', `cannot clean ${this.identity.name} with ${barcode}: it is a data cartridge`);
      await this.ctx.timing.load();
      await this.changeAlerts((current) => current.filter((a) => !CLEANING_ALERTS.includes(a)));
    });
  }

  private async changeAlerts(change: (current: string[]) => string[]): Promise<void> {
    await this.ctx.mutex.run(() =>
      updateLibraryState(this.ctx.dir, (library) => {
        const drive = library?.drives[this.index];
        if (!library || !drive) throw new TapeError('UNKNOWN_DRIVE', `${this.identity.name} is not in library ${this.ctx.libraryName}`);
        drive.alerts = change(drive.alerts ?? []);
        return { write: library, result: undefined };
      }),
    );
  }

  async format(options: FormatOptions): Promise<{ volumeUuid: string }> {
    this.assertNotMounted('format');
    return this.hold('format', async () => {
      const cartridge = await this.requireDataCartridge('format');
      this.assertWritable(cartridge, 'format');
      if (cartridge.worm && cartridge.formatted) {
        throw new TapeError('WORM_MEDIUM', `cannot format ${cartridge.barcode}: it is a WORM cartridge that already holds a volume`);
      }
      const volumeDir = this.ctx.store.volumeDir(cartridge.barcode);
      if (!options.force) {
        const files = await walkFiles(volumeDir);
        if (files.length > 0) {
          throw new TapeError('VOLUME_NOT_EMPTY', `${cartridge.barcode} holds ${files.length} file(s) (e.g. ${files[0]}): format with force to erase them`);
        }
      }
      const volumeUuid = randomUUID();
      // Unformatted first: a format interrupted half way leaves a cartridge that needs formatting,
      // never an old volume label over wiped data.
      await this.updateCartridge(cartridge.barcode, (s) => {
        s.formatted = false;
        s.volumeUuid = null;
      });
      await rm(volumeDir, { recursive: true, force: true });
      await mkdir(volumeDir, { recursive: true });
      const index: VolumeIndex = {
        format: 1,
        volumeUuid,
        generation: 1,
        writtenAt: new Date().toISOString(),
        nextBlock: { a: 1, b: 0 },
        files: {},
      };
      await this.ctx.mutex.run(async () => {
        await this.ctx.store.writeIndex(cartridge.barcode, index);
        await this.ctx.store.update(cartridge.barcode, (s) => {
          s.formatted = true;
          s.volumeUuid = volumeUuid;
          s.volumeName = options.barcode;
          s.formattedAt = index.writtenAt;
          s.nextBlock = { ...index.nextBlock };
          s.dirty = false;
          s.indexGeneration = index.generation;
        });
      });
      return { volumeUuid };
    });
  }

  async mount(options: MountOptions = {}): Promise<EmulatedVolume> {
    this.assertNotMounted('mount');
    return this.hold('mount', async () => {
      const cartridge = await this.requireDataCartridge('mount');
      if (!cartridge.formatted) throw new TapeError('NOT_FORMATTED', `${cartridge.barcode} is not formatted`);
      const driveGen = this.ctx.driveGeneration.generation;
      if (!canRead(driveGen, cartridge.generation)) {
        throw new TapeError('MEDIUM_ERROR', `an LTO-${driveGen} drive cannot read LTO-${cartridge.generation} cartridge ${cartridge.barcode}`);
      }
      // Like LTFS, a cartridge that cannot be written is mounted read-only rather than refused.
      const readOnlyReason = options.readOnly
        ? 'mounted read-only'
        : cartridge.writeProtected
          ? 'write-protected'
          : !canWrite(driveGen, cartridge.generation)
            ? `an LTO-${cartridge.generation} cartridge, read-only in an LTO-${driveGen} drive`
            : null;
      if (cartridge.dirty && readOnlyReason === null) {
        throw new TapeError('VOLUME_DIRTY', `${cartridge.barcode} was not unmounted cleanly: check it before mounting it read-write`);
      }
      const index = await this.ctx.mutex.run(() => this.ctx.store.readIndex(cartridge.barcode));
      if (!index || index.volumeUuid !== cartridge.volumeUuid) {
        throw new TapeError('MEDIUM_ERROR', `${cartridge.barcode} has no readable index for volume ${cartridge.volumeUuid}`);
      }
      if (readOnlyReason === null) {
        // Dirty on disk for as long as it is mounted: a process that dies now leaves it dirty.
        await this.updateCartridge(cartridge.barcode, (s) => {
          s.dirty = true;
        });
      }
      const volume = new EmulatedVolume(
        this.ctx,
        {
          barcode: cartridge.barcode,
          root: this.ctx.store.volumeDir(cartridge.barcode),
          readOnly: readOnlyReason !== null,
          readOnlyReason,
          capacityBytes: cartridge.capacityBytes,
          index,
        },
        () => {
          if (this.volume === volume) this.volume = null;
        },
      );
      this.volume = volume;
      return volume;
    });
  }

  async check(options: CheckOptions = {}): Promise<CheckResult> {
    if (options.rollbackGeneration !== undefined) {
      throw new TapeError('UNSUPPORTED', 'the emulated drive keeps only the latest index: it cannot roll back to an older generation');
    }
    this.assertNotMounted('check');
    return this.hold('check', async () => {
      const cartridge = await this.requireDataCartridge('check');
      if (!cartridge.formatted) throw new TapeError('NOT_FORMATTED', `${cartridge.barcode} is not formatted`);
      if (!cartridge.dirty) return { repaired: false, lostFiles: [] };
      if (cartridge.writeProtected) {
        throw new TapeError('WRITE_PROTECTED', `${cartridge.barcode} needs a repair but is write-protected`);
      }
      const barcode = cartridge.barcode;
      const index = await this.ctx.mutex.run(() => this.ctx.store.readIndex(barcode));
      if (!index || index.volumeUuid !== cartridge.volumeUuid) {
        throw new TapeError('MEDIUM_ERROR', `${barcode} has no index to recover: format it again`);
      }
      const recovered = await recoverToIndex(this.ctx.store.volumeDir(barcode), index.files);
      const repaired: VolumeIndex = {
        ...index,
        generation: index.generation + 1,
        writtenAt: new Date().toISOString(),
        nextBlock: { a: index.nextBlock.a + 1, b: index.nextBlock.b },
        files: recovered.files,
      };
      await this.ctx.mutex.run(async () => {
        await this.ctx.store.writeIndex(barcode, repaired);
        await this.ctx.store.update(barcode, (s) => {
          s.nextBlock = { ...repaired.nextBlock };
          s.indexGeneration = repaired.generation;
          s.dirty = false;
        });
      });
      return { repaired: true, lostFiles: recovered.lostFiles };
    });
  }

  private async loadedBarcode(): Promise<string | null> {
    const library = await readLibraryState(this.ctx.dir);
    const drive = library?.drives[this.index];
    if (!drive) throw new TapeError('UNKNOWN_DRIVE', `${this.identity.name} is not in library ${this.ctx.libraryName}`);
    return drive.barcode;
  }

  /** The loaded cartridge's state; refuses an empty drive and cleaning cartridges. */
  private async requireDataCartridge(action: string): Promise<CartridgeState> {
    const barcode = await this.loadedBarcode();
    if (barcode === null) throw new TapeError('NO_TAPE', `cannot ${action}: ${this.identity.name} is empty`);
    const holder = await this.ctx.shelf.heldElsewhere(barcode, this.ctx.holder);
    if (holder) {
      throw new TapeError('NO_TAPE', `cannot ${action}: ${this.identity.name} lists ${barcode}, but ${describeHolder(holder)} holds that cartridge`);
    }
    const state = await this.ctx.mutex.run(() => this.ctx.store.read(barcode));
    if (state.cleaning) {
      throw new TapeError('CLEANING_CARTRIDGE', `cannot ${action}: ${barcode} in ${this.identity.name} is a cleaning cartridge`);
    }
    return state;
  }

  private assertWritable(cartridge: CartridgeState, action: string): void {
    if (cartridge.writeProtected) {
      throw new TapeError('WRITE_PROTECTED', `cannot ${action}: ${cartridge.barcode} is write-protected`);
    }
    const driveGen = this.ctx.driveGeneration.generation;
    if (!canWrite(driveGen, cartridge.generation)) {
      throw new TapeError('MEDIUM_ERROR', `cannot ${action}: an LTO-${driveGen} drive cannot write LTO-${cartridge.generation} cartridge ${cartridge.barcode}`);
    }
  }

  private assertNotMounted(action: string): void {
    if (this.volume) {
      throw new TapeError('ALREADY_MOUNTED', `cannot ${action}: volume ${this.volume.barcode} is mounted in ${this.identity.name}`);
    }
  }

  private async updateCartridge(barcode: string, change: (state: CartridgeState) => void): Promise<void> {
    await this.ctx.mutex.run(() => this.ctx.store.update(barcode, change));
  }
}
