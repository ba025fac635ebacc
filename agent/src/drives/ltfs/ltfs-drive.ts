// One real tape drive driven through the LTFS tools: mkltfs formats (and with --wipe unformats),
// the ltfs FUSE daemon mounts (run in the foreground as our child, so its exit tells us when the
// index is on tape), ltfsck checks, rolls back and deep-recovers. What is loaded comes from the
// library (mtx) the drive sits in; LTFS itself only knows once a volume is mounted.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger.js';
import {
  TapeError,
  type CartridgeInfo,
  type CheckResult,
  type DriveIdentity,
  type FormatOptions,
  type MountOptions,
  type TapeDrive,
  type TapeLibrary,
} from '../drive.js';
import { generationFromBarcode, isCleaningBarcode, ltoGeneration } from '../generations.js';
import type { CommandRunner } from './command-runner.js';
import { LTFS_EXIT, ltfsMessageIds, ltfsToolError } from './ltfs-errors.js';
import { releaseLeftoverMount } from './leftover-mount.js';
import { LtfsVolume, type LtfsVolumeContext } from './ltfs-volume.js';
import { XATTR } from './ltfs-xattrs.js';
import { pollUntil } from './mount-probe.js';

export interface LtfsDriveSettings {
  name: string;
  /** Device LTFS opens (/dev/nst0 for the st driver, /dev/sg1 for the sg backend). Unused when
   *  `mediumDevice` names the loaded cartridge's own device. */
  device: string;
  /**
   * LTFS tape backend (ltfs -o tape_backend, mkltfs/ltfsck -e); default LTFS's own (sg on Linux).
   * 'file' keeps a cartridge in a directory: the ltfs-file library (ltfs-file/).
   */
  tapeBackend?: string;
  /** Where the cartridge in this drive is opened (null: the drive is empty), for backends whose
   *  cartridges are their own devices (the file backend: one directory per cartridge). */
  mediumDevice?: () => Promise<string | null>;
  /** Set for a drive without a changer: how to tell that a cartridge is in it, and to eject it. */
  standalone?: StandaloneMedium;
  /**
   * Backends whose cartridges are files: puts back the end-of-data mark LTFS left missing when it
   * was killed while writing (LTFS17146E), where deep recovery cannot work (ltfs-file/file-cartridge.ts).
   * Returns whether it put anything back. Without it, a missing end of data gets ltfsck --deep-recovery.
   */
  restoreEndOfData?: (barcode: string) => Promise<boolean>;
  serial: string;
  vendor: string;
  model: string;
  generation: number;
  library: TapeLibrary | null;
  libraryDriveIndex: number;
  /** The volume is mounted on mountRoot/<drive name>. */
  mountRoot: string;
  /** LTFS work directory (index cache, logs); one per drive. */
  workDirectory: string;
  /** ltfs -o sync_type: 'unmount', 'close' or 'time@MINUTES'. Ferrite syncs at checkpoints itself. */
  syncType: string;
  /** ltfs -o eject: eject the cartridge after unmount (standalone drives). */
  eject: boolean;
  mountTimeoutMs: number;
  formatTimeoutMs: number;
  checkTimeoutMs: number;
}

/**
 * A standalone drive's own view of its slot: whether a cartridge is in it (`mt status` reports
 * ONLINE on a real drive) and ejecting it for the operator (`mt offline`). Which cartridge it is
 * the drive learns by mounting it read-only and reading its label.
 */
export interface StandaloneMedium {
  present(): Promise<boolean>;
  eject(): Promise<void>;
}

export interface LtfsMountOptions extends MountOptions {
  /** Mount an older index generation (ltfs -o rollback_mount=GEN); always read-only. */
  rollbackGeneration?: number;
}

export interface LtfsCheckOptions {
  /** Roll back to this index generation (ltfsck -g GEN -r). */
  rollbackGeneration?: number;
  /** Recover a cartridge whose end of data is missing (ltfsck --deep-recovery). */
  deepRecovery?: boolean;
  /** Keep unreferenced blocks in _ltfs_lostandfound (ltfsck --full-recovery). */
  fullRecovery?: boolean;
}

export interface RollbackPoint {
  generation: number;
  time: string;
  partition: number;
  block: number;
}

interface KnownCartridge {
  formatted: boolean;
  volumeUuid: string | null;
  capacityBytes: number | null;
  usedBytes: number;
  writeProtected: boolean;
  dirty: boolean;
}

/** The mounted ltfs daemon's output, in the drive's work directory (the last mount's). */
export const LTFS_LOG = 'ltfs.log';

/** Messages LTFS prints when it mounts read-only on its own (write-protected, full, older medium). */
const READ_ONLY_NOTICES: Record<string, string> = {
  '14019I': 'write-protected',
  '14071I': 'full (no space to write data)',
  '14073I': 'full (index partition)',
  '14074I': 'full (data partition)',
  '14077I': 'mounted read-only by LTFS',
  '14078I': 'read-only in this drive',
};

export class LtfsDrive implements TapeDrive {
  readonly identity: DriveIdentity;
  private volume: LtfsVolume | null = null;
  private operation: string | null = null;
  /** What this agent learnt about cartridges while they were mounted here (LTFS knows nothing unmounted). */
  private readonly known = new Map<string, KnownCartridge>();
  /** Standalone: what the cartridge in the drive was found to be (barcode; null when it has no
   *  readable volume), until the drive is seen empty. */
  private inDrive: { barcode: string | null } | null = null;
  private identifying: Promise<string | null> | null = null;
  /** Standalone drives eject for the operator; absent on drives in a library (TapeDrive.eject). */
  readonly eject?: () => Promise<string | null>;

  constructor(
    private readonly settings: LtfsDriveSettings,
    private readonly runner: CommandRunner,
    private readonly volumeContext: LtfsVolumeContext,
    private readonly log: Logger,
  ) {
    this.identity = {
      name: settings.name,
      serial: settings.serial,
      vendor: settings.vendor,
      model: settings.model,
      generation: settings.generation,
      backend: 'ltfs',
      libraryName: settings.library?.name ?? null,
      libraryDriveIndex: settings.libraryDriveIndex,
    };
    const standalone = settings.standalone;
    if (standalone) this.eject = () => this.ejectStandalone(standalone);
  }

  get mountedVolume(): LtfsVolume | null {
    return this.volume?.isMounted ? this.volume : null;
  }

  /** Why the cartridge must not leave the drive now (an LTFS operation or a mounted volume), or null. */
  busyReason(): string | null {
    if (this.operation) return `${this.operation} in progress`;
    const volume = this.mountedVolume;
    return volume ? `volume ${volume.barcode} is mounted: unmount it first` : null;
  }

  get mountPoint(): string {
    return join(this.settings.mountRoot, this.settings.name);
  }

  async loaded(): Promise<CartridgeInfo | null> {
    const barcode = await this.loadedBarcode();
    if (barcode === null) return null;
    const known = this.known.get(barcode);
    const generation = generationFromBarcode(barcode) ?? this.settings.generation;
    let capacityBytes = known?.capacityBytes ?? null;
    if (capacityBytes === null) {
      try {
        capacityBytes = ltoGeneration(generation).nativeCapacityBytes;
      } catch {
        capacityBytes = 0;
      }
    }
    return {
      barcode,
      generation,
      capacityBytes,
      usedBytes: known?.usedBytes ?? 0,
      writeProtected: known?.writeProtected ?? false,
      formatted: known?.formatted ?? false,
      volumeUuid: known?.volumeUuid ?? null,
      dirty: known?.dirty ?? false,
      // Only a mount (or a format) reads the volume; until then only the barcode is known.
      detailsKnown: known !== undefined,
    };
  }

  async format(options: FormatOptions): Promise<{ volumeUuid: string }> {
    return this.hold('format', async () => {
      const barcode = (await this.requireDataCartridge('format')) ?? options.barcode;
      const args = [...this.backendArgs(), '-d', await this.device(), '-s', volumeSerial(options.barcode), '-n', options.barcode];
      if (options.force) args.push('-f');
      const result = await this.runner.run('mkltfs', args, { timeoutMs: this.settings.formatTimeoutMs });
      if (result.exitCode !== LTFS_EXIT.NO_ERRORS) throw ltfsToolError(`formatting ${barcode} in ${this.identity.name}`, result);
      const uuid = /LTFS15013I[^\n]*?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(result.stdout + result.stderr)?.[1];
      if (!uuid) throw new TapeError('MEDIUM_ERROR', `mkltfs formatted ${barcode} but reported no volume UUID (LTFS15013I)`);
      this.known.set(barcode, { formatted: true, volumeUuid: uuid, capacityBytes: null, usedBytes: 0, writeProtected: false, dirty: false });
      // A standalone drive knows its blank cartridge by the name it was just given.
      if (this.settings.standalone) this.inDrive = { barcode };
      this.log.info({ drive: this.identity.name, barcode, volumeUuid: uuid }, 'ltfs volume formatted');
      return { volumeUuid: uuid };
    });
  }

  /** Returns the cartridge to an unpartitioned scratch medium (mkltfs --wipe). */
  async unformat(options: { force: boolean }): Promise<void> {
    await this.hold('unformat', async () => {
      const barcode = await this.requireDataCartridge('unformat');
      const args = [...this.backendArgs(), '-d', await this.device(), '-w'];
      if (options.force) args.push('-f');
      const result = await this.runner.run('mkltfs', args, { timeoutMs: this.settings.formatTimeoutMs });
      // mkltfs exits 1 (MKLTFS_UNFORMATTED) when the medium was unformatted.
      if (result.exitCode !== LTFS_EXIT.TREAT_SUCCESS && result.exitCode !== LTFS_EXIT.NO_ERRORS) {
        throw ltfsToolError(`unformatting the cartridge in ${this.identity.name}`, result);
      }
      if (barcode) this.known.set(barcode, { formatted: false, volumeUuid: null, capacityBytes: null, usedBytes: 0, writeProtected: false, dirty: false });
    });
  }

  async mount(options: LtfsMountOptions = {}): Promise<LtfsVolume> {
    return this.hold('mount', async () => {
      const libraryBarcode = await this.requireDataCartridge('mount');
      const root = this.mountPoint;
      // Before mkdir: a dead FUSE mount answers every call on it with ENOTCONN.
      if (await this.volumeContext.probe.isMounted(root)) await releaseLeftoverMount(root, this.volumeContext, this.log);
      await mkdir(root, { recursive: true });
      await mkdir(this.settings.workDirectory, { recursive: true });
      const rollback = options.rollbackGeneration;
      const readOnlyRequested = Boolean(options.readOnly) || rollback !== undefined;
      const args = [
        '-f',
        ...(this.settings.tapeBackend ? ['-o', `tape_backend=${this.settings.tapeBackend}`] : []),
        '-o',
        `devname=${await this.device()}`,
        '-o',
        `sync_type=${this.settings.syncType}`,
        '-o',
        `work_directory=${this.settings.workDirectory}`,
      ];
      if (this.settings.eject) args.push('-o', 'eject');
      if (readOnlyRequested) args.push('-o', 'ro');
      if (rollback !== undefined) args.push('-o', `rollback_mount=${rollback}`);
      args.push(root);

      // Its output goes to a file, not to us: a daemon that outlives a killed agent must still be
      // able to log (and so write its index) when its mount is released (StartOptions.outputFile).
      const daemon = this.runner.start('ltfs', args, { outputFile: join(this.settings.workDirectory, LTFS_LOG) });
      let outcome: Awaited<ReturnType<typeof pollUntil>>;
      try {
        outcome = await pollUntil(() => this.volumeContext.probe.isMounted(root), {
          intervalMs: this.volumeContext.pollIntervalMs,
          timeoutMs: this.settings.mountTimeoutMs,
          stop: () => daemon.hasExited,
        });
      } catch (err) {
        // Never leave an ltfs daemon behind that no volume object will ever unmount.
        daemon.kill();
        throw err;
      }
      if (outcome !== 'ok') {
        if (outcome === 'timeout') daemon.kill();
        const result = await daemon.exited;
        const error = ltfsToolError(`mounting the cartridge in ${this.identity.name}`, {
          ...result,
          stderr: daemon.output(),
          stdout: '',
          timedOut: outcome === 'timeout',
        });
        if (error.code === 'VOLUME_DIRTY' && libraryBarcode) this.remember(libraryBarcode, { dirty: true, formatted: true });
        if (error.code === 'NOT_FORMATTED' && libraryBarcode) this.remember(libraryBarcode, { formatted: false });
        throw error;
      }
      const mountIds = ltfsMessageIds(daemon.output());
      const notices = mountIds.filter((id) => id in READ_ONLY_NOTICES);
      const recoveredAtMount = this.noteRecoveryAtMount(mountIds, libraryBarcode);
      const readOnlyReason = readOnlyRequested
        ? rollback !== undefined
          ? `a rollback mount of generation ${rollback}`
          : 'mounted read-only'
        : notices.length > 0
          ? READ_ONLY_NOTICES[notices[0]]
          : null;
      const barcode = libraryBarcode ?? (await this.volumeBarcode(root)) ?? this.identity.name;
      const writeProtected = notices.includes('14019I');
      const volume = new LtfsVolume(
        this.volumeContext,
        { barcode, root, readOnly: readOnlyReason !== null, readOnlyReason, daemon, ...(recoveredAtMount ? { recoveredAtMount } : {}) },
        {
          // Capacity is read at unmount, when it reflects what the job wrote (tapeStatusOf reports it).
          // A read-only mount changes nothing worth re-reading.
          beforeUnmount: (v) => (v.readOnly && this.known.get(barcode)?.capacityBytes != null ? Promise.resolve() : this.learn(v, writeProtected)),
          unmounted: ({ clean }) => {
            if (this.volume === volume) this.volume = null;
            if (!clean) this.remember(barcode, { dirty: true });
          },
        },
      );
      this.volume = volume;
      this.remember(barcode, { formatted: true, writeProtected });
      // With every LTFS message of the mount: what LTFS did on its own (a recovery) shows there.
      this.log.info(
        { drive: this.identity.name, barcode, readOnly: volume.readOnly, command: daemon.command, messages: mountIds.join(' ') },
        'ltfs volume mounted',
      );
      return volume;
    });
  }

  async check(options: LtfsCheckOptions = {}): Promise<CheckResult> {
    return this.hold('check', async () => {
      const barcode = await this.requireDataCartridge('check');
      const ltfsck = async (deepRecovery: boolean) => {
        const args: string[] = this.backendArgs();
        if (options.rollbackGeneration !== undefined) args.push('-g', String(options.rollbackGeneration), '-r');
        if (deepRecovery) args.push('--deep-recovery');
        if (options.fullRecovery) args.push('--full-recovery');
        args.push(await this.device());
        return this.runner.run('ltfsck', args, { timeoutMs: this.settings.checkTimeoutMs });
      };
      let result = await ltfsck(Boolean(options.deepRecovery));
      let endOfDataRecovered = false;
      // A plain check stops at a missing end of data (LTFS17146E: LTFS or the drive died while
      // writing) and asks for a deep recovery: run it (or, for file cartridges, put the mark back).
      if (!options.deepRecovery && ltfsMessageIds(result.stdout + result.stderr).includes('17146E')) {
        endOfDataRecovered = true;
        const restored = barcode && this.settings.restoreEndOfData ? await this.settings.restoreEndOfData(barcode) : false;
        this.log.warn({ drive: this.identity.name, barcode, restored }, 'end of data missing: recovering it before the check');
        result = await ltfsck(!restored);
      }
      if (result.exitCode === LTFS_EXIT.USAGE_SYNTAX_ERROR) throw new Error(`ltfsck refused its arguments: ${result.command}`);
      if (result.exitCode !== LTFS_EXIT.NO_ERRORS && result.exitCode !== LTFS_EXIT.TREAT_SUCCESS) {
        throw ltfsToolError(`checking the cartridge in ${this.identity.name}`, result);
      }
      // ltfsck exits 1 after any successful check that wrote to the cartridge; it repaired
      // something when LTFS restored consistency (11022I / 11026I) or a rollback/recovery ran.
      const ids = ltfsMessageIds(result.stdout + result.stderr);
      const repaired =
        ids.includes('11022I') || ids.includes('11026I') || endOfDataRecovered || options.rollbackGeneration !== undefined || Boolean(options.deepRecovery);
      if (barcode) this.remember(barcode, { dirty: false, formatted: true });
      // ltfsck does not name what it dropped; with --full-recovery it lands in _ltfs_lostandfound.
      return { repaired, lostFiles: [] };
    });
  }

  /** The index generations on the cartridge (ltfsck --list-rollback-points). */
  async rollbackPoints(): Promise<RollbackPoint[]> {
    return this.hold('list rollback points', async () => {
      await this.requireDataCartridge('list rollback points of');
      const result = await this.runner.run('ltfsck', [...this.backendArgs(), '-l', await this.device()], { timeoutMs: this.settings.checkTimeoutMs });
      if (result.exitCode !== LTFS_EXIT.NO_ERRORS && result.exitCode !== LTFS_EXIT.TREAT_SUCCESS) {
        throw ltfsToolError(`listing rollback points in ${this.identity.name}`, result);
      }
      return parseRollbackPoints(result.stdout);
    });
  }

  /** mkltfs and ltfsck name a non-default tape backend with -e. */
  private backendArgs(): string[] {
    return this.settings.tapeBackend ? ['-e', this.settings.tapeBackend] : [];
  }

  /** The device the LTFS tools open for the loaded cartridge. */
  private async device(): Promise<string> {
    if (!this.settings.mediumDevice) return this.settings.device;
    const device = await this.settings.mediumDevice();
    if (device === null) throw new TapeError('NO_TAPE', `${this.identity.name} is empty`);
    return device;
  }

  /**
   * The barcode a mounted volume names itself by: the Ferrite label's (FERRITE.json), else the LTFS
   * volume name (mkltfs -n), else the volume serial; null when it names none.
   */
  private async volumeBarcode(root: string): Promise<string | null> {
    try {
      const label = JSON.parse(await readFile(join(root, 'FERRITE.json'), 'utf8')) as { barcode?: unknown };
      if (typeof label.barcode === 'string' && label.barcode) return label.barcode;
    } catch {
      // No label (a blank or foreign volume): LTFS's own names follow.
    }
    for (const name of [XATTR.volumeName, XATTR.volumeSerial]) {
      const value = (await this.volumeContext.xattrs.get(root, name).catch(() => null))?.trim();
      if (value) return value;
    }
    return null;
  }

  /**
   * Standalone: which cartridge the drive holds. A cartridge found in an empty drive is mounted
   * read-only once to read its label (polls meanwhile answer what was known); one with no volume
   * reads as no barcode, which only a format for the operator's request takes (`unlabelled`).
   */
  private async standaloneBarcode(standalone: StandaloneMedium): Promise<string | null> {
    // While the label is being read, its read-only mount is no one's to use: answer what was known.
    if (this.identifying) return this.inDrive?.barcode ?? null;
    if (this.volume?.isMounted) return this.volume.barcode;
    if (this.operation) return this.inDrive?.barcode ?? null;
    if (!(await standalone.present())) {
      this.inDrive = null;
      return null;
    }
    if (this.inDrive) return this.inDrive.barcode;
    this.identifying = this.identify().finally(() => (this.identifying = null));
    return this.identifying;
  }

  private async identify(): Promise<string | null> {
    let barcode: string | null = null;
    try {
      const volume = await this.mount({ readOnly: true });
      barcode = await this.volumeBarcode(volume.root);
      await volume.unmount();
    } catch (err) {
      const code = err instanceof TapeError ? err.code : null;
      if (code === 'DRIVE_BUSY' || code === 'ALREADY_MOUNTED') return null; // asked again at the next poll
      this.log.warn(
        { drive: this.identity.name, code, err: (err as Error).message },
        code === 'NOT_FORMATTED'
          ? 'the cartridge inserted has no LTFS volume: it can only be formatted (formatTape for the barcode on its label)'
          : 'the cartridge inserted could not be identified',
      );
    }
    this.inDrive = { barcode };
    if (barcode) this.log.info({ drive: this.identity.name, barcode }, 'cartridge inserted into standalone drive');
    return barcode;
  }

  /** Standalone: a cartridge is in the drive but has no readable volume (a new or foreign tape). */
  async unlabelled(): Promise<boolean> {
    if (!this.settings.standalone) return false;
    return (await this.standaloneBarcode(this.settings.standalone)) === null && this.inDrive !== null && this.inDrive.barcode === null;
  }

  private async ejectStandalone(standalone: StandaloneMedium): Promise<string | null> {
    const barcode = await this.standaloneBarcode(standalone);
    return this.hold('eject', async () => {
      if (!(await standalone.present())) return null;
      await standalone.eject();
      this.inDrive = null;
      this.log.info({ drive: this.identity.name, barcode }, 'cartridge ejected for the operator');
      return barcode ?? 'an unlabelled cartridge';
    });
  }

  /** Barcode from the library (null when the drive is empty); a standalone drive reads the label. */
  private async loadedBarcode(): Promise<string | null> {
    const library = this.settings.library;
    if (!library && this.settings.standalone) return this.standaloneBarcode(this.settings.standalone);
    if (!library) return this.volume?.isMounted ? this.volume.barcode : null;
    const status = await library.status();
    const drive = status.drives.find((d) => d.driveIndex === this.settings.libraryDriveIndex);
    if (!drive) throw new TapeError('UNKNOWN_DRIVE', `library ${library.name} has no drive ${this.settings.libraryDriveIndex}`);
    return drive.barcode;
  }

  /** The loaded barcode, refusing an empty drive and cleaning cartridges; null when unknowable (no library). */
  private async requireDataCartridge(action: string): Promise<string | null> {
    if (!this.settings.library) return null;
    const barcode = await this.loadedBarcode();
    if (barcode === null) throw new TapeError('NO_TAPE', `cannot ${action}: ${this.identity.name} is empty`);
    if (isCleaningBarcode(barcode)) throw new TapeError('CLEANING_CARTRIDGE', `cannot ${action}: ${barcode} in ${this.identity.name} is a cleaning cartridge`);
    return barcode;
  }

  private async hold<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.operation) throw new TapeError('DRIVE_BUSY', `${this.identity.name} is busy: ${this.operation} in progress`);
    if (this.mountedVolume)
      throw new TapeError('ALREADY_MOUNTED', `cannot ${operation}: volume ${this.mountedVolume.barcode} is mounted in ${this.identity.name}`);
    this.operation = operation;
    try {
      return await fn();
    } finally {
      this.operation = null;
    }
  }

  private noteRecoveryAtMount(mountIds: string[], barcode: string | null): string | undefined {
    if (!mountIds.includes('11022I')) return undefined;
    // A volume not unmounted cleanly that LTFS repaired itself (LTFS11022I: data after its last
    // index; it writes that index again after the data, which is then unreferenced). Said, since
    // what was written after the last index is gone from the volume.
    this.log.warn(
      { drive: this.identity.name, barcode, messages: mountIds.filter((id) => !id.endsWith('I')) },
      'LTFS found the volume not unmounted cleanly and recovered it at mount (back to its last index)',
    );
    return `LTFS found ${barcode ?? 'the volume'} not unmounted cleanly and recovered it at mount (LTFS11022I): what was written after its last index is no longer on the volume`;
  }

  private remember(barcode: string, change: Partial<KnownCartridge>): void {
    const current = this.known.get(barcode) ?? { formatted: false, volumeUuid: null, capacityBytes: null, usedBytes: 0, writeProtected: false, dirty: false };
    this.known.set(barcode, { ...current, ...change });
  }

  private async learn(volume: LtfsVolume, writeProtected: boolean): Promise<void> {
    try {
      const known = this.known.get(volume.barcode);
      const [uuid, capacity] = await Promise.all([
        known?.volumeUuid ? Promise.resolve(known.volumeUuid) : this.volumeContext.xattrs.get(volume.root, XATTR.volumeUuid),
        this.volumeContext.xattrs.capacity(volume.root),
      ]);
      this.remember(volume.barcode, {
        formatted: true,
        volumeUuid: uuid?.trim() || null,
        capacityBytes: capacity.totalBytes,
        usedBytes: Math.max(0, capacity.totalBytes - capacity.availableBytes),
        writeProtected,
      });
    } catch (err) {
      // Not worth failing an unmount over: the figures are refreshed at the next one.
      this.log.warn({ drive: this.identity.name, err: (err as Error).message }, 'could not read LTFS volume attributes');
    }
  }
}

/** mkltfs takes a 6-character serial (LTFS15029E/15030E): the VOLSER part of the barcode. */
export function volumeSerial(barcode: string): string {
  const volser = barcode.trim().toUpperCase().slice(0, 6);
  if (!/^[A-Z0-9]{6}$/.test(volser)) {
    throw new TapeError('UNKNOWN_BARCODE', `barcode ${JSON.stringify(barcode)} does not start with a 6-character volume serial (A-Z, 0-9)`);
  }
  return volser;
}

/** Lines of `ltfsck -l`: "        12: 2026-11-23 10:15:02.123456789 UTC      (1, 4711)->(1, 4500)". */
export function parseRollbackPoints(output: string): RollbackPoint[] {
  const points: RollbackPoint[] = [];
  for (const line of output.split('\n')) {
    const m = /^\s*(\d+):\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\s+(\S+)\s+\((\d+),\s*(\d+)\)/.exec(line);
    if (m) points.push({ generation: Number(m[1]), time: `${m[2]} ${m[3]}`, partition: Number(m[4]), block: Number(m[5]) });
  }
  return points;
}
