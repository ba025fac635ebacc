// A library of file-backed LTFS cartridges: the emulated changer (slots, mail slots, barcodes, a
// shelf shared with other libraries, the ferrite-emulated operator tool) moves the cartridges, and
// each drive is a real LtfsDrive that formats, mounts and checks the cartridge it holds with the
// real mkltfs, ltfs and ltfsck through LTFS's `file` tape backend (one directory per cartridge).
// Everything above the drive is the code a site with real drives runs.
import { join } from 'node:path';
import type { LtfsFileLibrarySettings } from '../../config/agent-config.js';
import type { Logger } from '../../logger.js';
import { BLOCK_SIZE } from '../drive.js';
import { openEmulatedLibrary } from '../emulated/open-emulated-library.js';
import type { EmulatedLibrary } from '../emulated/emulated-library.js';
import { ejectFromDrive } from '../emulated/shelf-operator.js';
import { ltoGeneration } from '../generations.js';
import { ExecFileRunner, type CommandRunner } from '../ltfs/command-runner.js';
import { LtfsDrive } from '../ltfs/ltfs-drive.js';
import { ltfsMissing } from '../ltfs/ltfs-preflight.js';
import type { LtfsVolumeContext } from '../ltfs/ltfs-volume.js';
import { LtfsXattrs } from '../ltfs/ltfs-xattrs.js';
import { ProcMountsProbe } from '../ltfs/mount-probe.js';
import { prepareTapeDirectory, restoreEndOfData, tapeDirectory } from './file-cartridge.js';

export interface OpenedLtfsFileLibrary {
  library: EmulatedLibrary;
  drives: LtfsDrive[];
}

const MIN_EARLY_WARNING_BLOCKS = 4;

export async function openLtfsFileLibrary(
  settings: LtfsFileLibrarySettings,
  stateDir: string,
  log: Logger,
  runner: CommandRunner = new ExecFileRunner(settings.bin),
): Promise<OpenedLtfsFileLibrary> {
  const missing = await ltfsMissing(runner, ['mkltfs', 'ltfs', 'ltfsck']);
  if (missing) throw new Error(`library ${settings.name}: ${missing}`);
  const standalone = !settings.changer;
  const capacityBytes = settings.capacityBytes ?? ltoGeneration(settings.generation).nativeCapacityBytes;
  const { library, drives: changerDrives } = await openEmulatedLibrary({
    name: settings.name,
    dir: settings.dir,
    slots: settings.slots,
    drives: settings.drives,
    generation: settings.generation,
    capacityBytes,
    earlyWarningBytes: settings.earlyWarningBytes,
    barcodes: settings.barcodes,
    importExportSlots: settings.importExportSlots,
    shelfDir: settings.shelfDir,
    serialPrefix: 'LTF',
    changer: !standalone,
    driveNamePrefix: settings.driveNamePrefix,
  });
  const inDrive = async (index: number): Promise<string | null> => (await library.status()).drives[index]?.barcode ?? null;
  const libraryLog = log.child({ library: settings.name });
  const volumeContext: LtfsVolumeContext = {
    runner,
    xattrs: new LtfsXattrs(runner, settings.timeouts.commandMs),
    probe: new ProcMountsProbe(),
    log: libraryLog,
    unmountTool: settings.unmountCommand,
    unmountTimeoutMs: settings.timeouts.unmountMs,
    pollIntervalMs: settings.pollIntervalMs,
    earlyWarningBytes: (total) => settings.earlyWarningBytes ?? Math.max(MIN_EARLY_WARNING_BLOCKS * BLOCK_SIZE, Math.floor(total * 0.02)),
  };
  // Mount points and LTFS work directories are per agent and per drive, never on the shared shelf.
  const ltfsState = join(stateDir, 'ltfs-file', settings.name);
  const drives = changerDrives.map((changerDrive, i) => {
    const name = changerDrive.identity.name;
    return new LtfsDrive(
      {
        name,
        device: '',
        tapeBackend: 'file',
        // The directory of whichever cartridge the changer (or the operator's hand) put in this drive.
        mediumDevice: async () => {
          const barcode = await inDrive(i);
          return barcode === null ? null : prepareTapeDirectory(library.cartridgeDir(barcode), capacityBytes, await library.isWriteProtected(barcode));
        },
        ...(standalone
          ? {
              standalone: {
                present: async () => (await inDrive(i)) !== null,
                eject: () => ejectFromDrive(library.dir, i, { force: true }).then(() => undefined),
              },
            }
          : {}),
        restoreEndOfData: async (barcode) => (await restoreEndOfData(tapeDirectory(library.cartridgeDir(barcode)))).length > 0,
        serial: changerDrive.identity.serial,
        vendor: 'FERRITE',
        model: `LTFS-FILE-LTO${settings.generation}`,
        generation: settings.generation,
        // Standalone drives have no library for jobs; they learn their cartridge from its label.
        library: standalone ? null : library,
        libraryDriveIndex: i,
        mountRoot: join(ltfsState, 'mnt'),
        workDirectory: join(ltfsState, 'work', name),
        syncType: 'unmount',
        eject: false,
        mountTimeoutMs: settings.timeouts.mountMs,
        formatTimeoutMs: settings.timeouts.formatMs,
        checkTimeoutMs: settings.timeouts.checkMs,
      },
      runner,
      volumeContext,
      log.child({ drive: name }),
    );
  });
  // A cartridge must not leave a drive while LTFS has it mounted (its index would be lost).
  library.driveBusy = (index) => drives[index]?.busyReason() ?? null;
  return { library, drives };
}
