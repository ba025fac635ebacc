// A SCSI medium changer driven with mtx (status, load, unload, transfer). Every move is checked
// against a fresh `mtx status` first, so bad requests fail with a stable code and nothing moves;
// the changer's own refusal (a race with an operator at the front panel) is mapped as well.
// Slots are 1-based and drives 0-based, exactly as mtx numbers them.
import type { Logger } from '../../logger.js';
import { TapeError, type LibraryStatus, type TapeLibrary } from '../drive.js';
import type { CommandRunner } from '../ltfs/command-runner.js';
import { mtxError } from './mtx-errors.js';
import { MtxParseError, parseMtxStatus, type MtxStatus } from './mtx-status-parser.js';

export interface MtxLibrarySettings {
  name: string;
  serial: string;
  /** Changer device, e.g. /dev/sg3 or /dev/sch0. */
  device: string;
  /** Robot moves can take minutes on large libraries. */
  moveTimeoutMs: number;
  statusTimeoutMs: number;
}

export class MtxLibrary implements TapeLibrary {
  readonly name: string;
  readonly serial: string;
  /** Tells why a drive's cartridge must not move (a mounted volume), set by the drive wiring. */
  driveBusy: (driveIndex: number) => string | null = () => null;

  constructor(
    private readonly settings: MtxLibrarySettings,
    private readonly runner: CommandRunner,
    private readonly log: Logger,
  ) {
    this.name = settings.name;
    this.serial = settings.serial;
  }

  async status(): Promise<MtxStatus> {
    const result = await this.runner.run('mtx', ['-f', this.settings.device, 'status'], { timeoutMs: this.settings.statusTimeoutMs });
    if (result.exitCode !== 0) throw mtxError(`reading the status of library ${this.name}`, result);
    try {
      return parseMtxStatus(result.stdout);
    } catch (err) {
      if (err instanceof MtxParseError) throw new TapeError('MEDIUM_ERROR', `library ${this.name}: ${err.message}`);
      throw err;
    }
  }

  async load(slot: number, driveIndex: number): Promise<void> {
    const status = await this.status();
    const source = slotOf(status, slot, this.name);
    const drive = driveOf(status, driveIndex, this.name);
    if (drive.barcode !== null)
      throw new TapeError('DRIVE_OCCUPIED', `drive ${driveIndex} of ${this.name} already holds ${drive.barcode || 'an unlabelled cartridge'}`);
    if (source.barcode === null) throw new TapeError('SLOT_EMPTY', `slot ${slot} of ${this.name} is empty`);
    await this.move(['load', String(slot), String(driveIndex)], `loading slot ${slot} into drive ${driveIndex}`);
  }

  async unload(driveIndex: number, slot?: number): Promise<void> {
    const busy = this.driveBusy(driveIndex);
    if (busy) throw new TapeError('DRIVE_BUSY', `drive ${driveIndex} of ${this.name} is busy: ${busy}`);
    const status = await this.status();
    const drive = driveOf(status, driveIndex, this.name);
    if (drive.barcode === null) throw new TapeError('NO_TAPE', `drive ${driveIndex} of ${this.name} is empty`);
    const target = slot ?? drive.sourceSlot ?? status.slots.find((s) => s.barcode === null && !s.importExport)?.slot;
    if (target === undefined) throw new TapeError('SLOT_OCCUPIED', `no empty slot in ${this.name} to unload drive ${driveIndex} into`);
    const destination = slotOf(status, target, this.name);
    if (destination.barcode !== null)
      throw new TapeError('SLOT_OCCUPIED', `slot ${target} of ${this.name} already holds ${destination.barcode || 'an unlabelled cartridge'}`);
    await this.move(['unload', String(target), String(driveIndex)], `unloading drive ${driveIndex} into slot ${target}`);
  }

  async transfer(fromSlot: number, toSlot: number): Promise<void> {
    const status = await this.status();
    const source = slotOf(status, fromSlot, this.name);
    const destination = slotOf(status, toSlot, this.name);
    if (source.barcode === null) throw new TapeError('SLOT_EMPTY', `slot ${fromSlot} of ${this.name} is empty`);
    if (destination.barcode !== null)
      throw new TapeError('SLOT_OCCUPIED', `slot ${toSlot} of ${this.name} already holds ${destination.barcode || 'an unlabelled cartridge'}`);
    await this.move(['transfer', String(fromSlot), String(toSlot)], `moving slot ${fromSlot} to slot ${toSlot}`);
  }

  private async move(args: string[], what: string): Promise<void> {
    const result = await this.runner.run('mtx', ['-f', this.settings.device, ...args], { timeoutMs: this.settings.moveTimeoutMs });
    if (result.exitCode !== 0) throw mtxError(`${what} in library ${this.name}`, result);
    this.log.info({ library: this.name, command: result.command }, 'mtx move done');
  }
}

function slotOf(status: LibraryStatus, slot: number, library: string) {
  const found = Number.isInteger(slot) ? status.slots.find((s) => s.slot === slot) : undefined;
  if (!found) throw new TapeError('UNKNOWN_SLOT', `library ${library} has no slot ${slot}`);
  return found;
}

function driveOf(status: LibraryStatus, driveIndex: number, library: string) {
  const found = Number.isInteger(driveIndex) ? status.drives.find((d) => d.driveIndex === driveIndex) : undefined;
  if (!found) throw new TapeError('UNKNOWN_DRIVE', `library ${library} has no drive ${driveIndex}`);
  return found;
}
