// The emulated medium changer: moves cartridges between slots and drives by rewriting library.json
// under the library mutex. Drive threading and unthreading take the generation's load/unload time
// (scaled by timeScale) with the drive held, so nothing else can use it meanwhile.
// On a shared shelf (shelf.ts) the library claims each cartridge it finds in library.json, and a
// cartridge another library holds is not seen: its slot reads as empty and it cannot be loaded.
import { TapeError, type LibraryStatus, type TapeLibrary } from '../drive.js';
import type { EmulatedContext } from './emulated-context.js';
import type { EmulatedDrive } from './emulated-drive.js';
import { readLibraryState, updateLibraryState, type LibraryStateFile } from './library-state.js';
import { describeHolder } from './shelf.js';

export class EmulatedLibrary implements TapeLibrary {
  readonly name: string;
  readonly serial: string;
  /** Why drive `index` must not have its cartridge moved, when its volume is mounted by something
   *  else than the emulated drive (the ltfs-file library's real LTFS drives); null when free. */
  driveBusy: (driveIndex: number) => string | null = () => null;

  constructor(
    private readonly ctx: EmulatedContext,
    private readonly drives: readonly EmulatedDrive[],
  ) {
    this.name = ctx.libraryName;
    this.serial = ctx.librarySerial;
  }

  /** Directory holding the library's state (library.json; cartridges/ too unless a shared shelfDir holds them). */
  get dir(): string {
    return this.ctx.dir;
  }

  /** Directory of a cartridge's own state on the shelf (other backends keep their medium there too). */
  cartridgeDir(barcode: string): string {
    return this.ctx.store.cartridgeDir(barcode);
  }

  async status(): Promise<LibraryStatus> {
    const state = await this.read();
    // A status is an inventory: cartridges put in by hand are claimed now; those another library
    // holds are reported as absent.
    const seen = async (barcode: string | null) => (barcode !== null && (await this.ctx.shelf.claim(barcode, this.ctx.holder)) === null ? barcode : null);
    const slots = [];
    for (const [i, barcode] of state.slots.entries()) {
      slots.push({ slot: i + 1, barcode: await seen(barcode), importExport: i >= state.slots.length - this.ctx.importExportSlots });
    }
    const drives = [];
    for (const [i, d] of state.drives.entries()) {
      const barcode = await seen(d.barcode);
      drives.push({ driveIndex: i, barcode, sourceSlot: barcode === null ? null : d.sourceSlot });
    }
    return { slots, drives };
  }

  async load(slot: number, driveIndex: number): Promise<void> {
    const drive = this.drive(driveIndex);
    const busy = drive.mountedVolume ? `volume ${drive.mountedVolume.barcode} is mounted` : this.driveBusy(driveIndex);
    if (busy) throw new TapeError('DRIVE_OCCUPIED', `drive${driveIndex} is in use: ${busy}`);
    await drive.hold('load', async () => {
      // Claimed before the move (the shelf lock is never taken inside library.json's lock).
      const wanted = slotBarcode(await this.read(), slot);
      if (wanted !== null) await this.assertClaimed(wanted, slot);
      const barcode = await this.change((state) => {
        const barcode = slotBarcode(state, slot);
        if (barcode === null) throw new TapeError('SLOT_EMPTY', `slot ${slot} is empty`);
        if (barcode !== wanted) throw new TapeError('SLOT_EMPTY', `slot ${slot} changed while loading (it now holds ${barcode}): try again`);
        const target = state.drives[driveIndex];
        if (target.barcode !== null) {
          throw new TapeError('DRIVE_OCCUPIED', `drive${driveIndex} already holds ${target.barcode}`);
        }
        state.slots[slot - 1] = null;
        state.drives[driveIndex] = { ...target, barcode, sourceSlot: slot };
        return barcode;
      });
      // The first time a barcode reaches a drive, its cartridge state is created (blank).
      await this.ctx.mutex.run(() => this.ctx.store.read(barcode));
      await this.ctx.timing.load();
    });
  }

  async unload(driveIndex: number, slot?: number): Promise<void> {
    const drive = this.drive(driveIndex);
    const busy = drive.mountedVolume ? `volume ${drive.mountedVolume.barcode} is mounted` : this.driveBusy(driveIndex);
    if (busy) throw new TapeError('DRIVE_BUSY', `drive${driveIndex} cannot be unloaded: ${busy} (unmount it first)`);
    await drive.hold('unload', async () => {
      // Checked before the (possibly slow) eject, and again when the cartridge is put away.
      planUnload(await this.read(), driveIndex, slot);
      await this.ctx.timing.unload();
      await this.change((state) => {
        const target = planUnload(state, driveIndex, slot);
        state.slots[target - 1] = state.drives[driveIndex].barcode;
        state.drives[driveIndex] = { ...state.drives[driveIndex], barcode: null, sourceSlot: null };
      });
    });
  }

  async transfer(fromSlot: number, toSlot: number): Promise<void> {
    const wanted = slotBarcode(await this.read(), fromSlot);
    if (wanted !== null) await this.assertClaimed(wanted, fromSlot);
    await this.change((state) => {
      const barcode = slotBarcode(state, fromSlot);
      const occupant = slotBarcode(state, toSlot);
      if (barcode === null) throw new TapeError('SLOT_EMPTY', `slot ${fromSlot} is empty`);
      if (occupant !== null) throw new TapeError('SLOT_OCCUPIED', `slot ${toSlot} already holds ${occupant}`);
      state.slots[toSlot - 1] = barcode;
      state.slots[fromSlot - 1] = null;
    });
  }

  /**
   * Emulator only: slides a cartridge's write-protect tab. Like on a real cartridge, only while it
   * is outside the drives.
   */
  async setWriteProtected(barcode: string, writeProtected: boolean): Promise<void> {
    await this.ctx.mutex.run(async () => {
      const state = await readLibraryState(this.ctx.dir);
      const driveIndex = state?.drives.findIndex((d) => d.barcode === barcode) ?? -1;
      if (driveIndex >= 0) {
        throw new TapeError('DRIVE_OCCUPIED', `${barcode} is in drive${driveIndex}: unload it before changing its write protection`);
      }
      if (!state?.slots.includes(barcode)) throw new TapeError('UNKNOWN_BARCODE', `no cartridge ${barcode} in library ${this.name}`);
      const holder = await this.ctx.shelf.heldElsewhere(barcode, this.ctx.holder);
      if (holder) throw new TapeError('UNKNOWN_BARCODE', `${barcode} is held by ${describeHolder(holder)}, not by library ${this.name}`);
      await this.ctx.store.update(barcode, (c) => {
        c.writeProtected = writeProtected;
      });
    });
  }

  /** Whether a cartridge's write-protect tab is set (the ltfs-file library tells LTFS at each load). */
  async isWriteProtected(barcode: string): Promise<boolean> {
    return (await this.ctx.store.read(barcode)).writeProtected;
  }

  private drive(driveIndex: number): EmulatedDrive {
    const drive = Number.isInteger(driveIndex) ? this.drives[driveIndex] : undefined;
    if (!drive) throw new TapeError('UNKNOWN_DRIVE', `library ${this.name} has no drive ${driveIndex} (drives 0..${this.drives.length - 1})`);
    return drive;
  }

  private async read(): Promise<LibraryStateFile> {
    const state = await readLibraryState(this.ctx.dir);
    if (!state) throw new TapeError('MEDIUM_ERROR', `library state missing in ${this.ctx.dir}`);
    return state;
  }

  /** Claims the cartridge in `slot` for this library; refuses one another library holds (SLOT_EMPTY: it is not seen here). */
  private async assertClaimed(barcode: string, slot: number): Promise<void> {
    const holder = await this.ctx.shelf.claim(barcode, this.ctx.holder);
    if (holder) {
      throw new TapeError(
        'SLOT_EMPTY',
        `slot ${slot} of library ${this.name} lists ${barcode}, but ${describeHolder(holder)} holds that cartridge: take it out of one of them`,
      );
    }
  }

  /** Read-modify-write of library.json (under its cross-process lock); nothing is written when `fn` throws. */
  private async change<T>(fn: (state: LibraryStateFile) => T): Promise<T> {
    return this.ctx.mutex.run(() =>
      updateLibraryState(this.ctx.dir, (current) => {
        if (!current) throw new TapeError('MEDIUM_ERROR', `library state missing in ${this.ctx.dir}`);
        const result = fn(current);
        return { write: current, result };
      }),
    );
  }
}

/** The barcode in a slot (null when empty); UNKNOWN_SLOT when the library has no such slot. */
function slotBarcode(state: LibraryStateFile, slot: number): string | null {
  if (!Number.isInteger(slot) || slot < 1 || slot > state.slots.length) {
    throw new TapeError('UNKNOWN_SLOT', `library ${state.name} has no slot ${slot} (slots 1..${state.slots.length})`);
  }
  return state.slots[slot - 1]!;
}

/** Where an unload of `driveIndex` puts its cartridge: the given slot, else its source slot, else the first empty one. */
function planUnload(state: LibraryStateFile, driveIndex: number, slot: number | undefined): number {
  const source = state.drives[driveIndex];
  if (source.barcode === null) throw new TapeError('NO_TAPE', `drive${driveIndex} is empty`);
  const target = slot ?? source.sourceSlot ?? firstEmptySlot(state);
  if (target === null) throw new TapeError('SLOT_OCCUPIED', `no empty slot to unload drive${driveIndex} into`);
  const occupant = slotBarcode(state, target);
  if (occupant !== null) throw new TapeError('SLOT_OCCUPIED', `slot ${target} already holds ${occupant}`);
  return target;
}

function firstEmptySlot(state: LibraryStateFile): number | null {
  const i = state.slots.indexOf(null);
  return i < 0 ? null : i + 1;
}
