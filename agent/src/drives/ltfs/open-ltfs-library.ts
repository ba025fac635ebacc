// Builds the real-hardware backend from its configuration entry: one command runner (the bin map),
// the mtx changer if there is one, and an LtfsDrive per configured drive device.
import { basename, join } from 'node:path';
import type { Logger } from '../../logger.js';
import { BLOCK_SIZE } from '../drive.js';
import { MtxLibrary } from '../mtx/mtx-library.js';
import { ExecFileRunner, type CommandRunner } from './command-runner.js';
import type { LtfsLibrarySettings } from '../../config/ltfs-config-schema.js';
import { LtfsDrive } from './ltfs-drive.js';
import type { LtfsVolumeContext } from './ltfs-volume.js';
import { LtfsXattrs } from './ltfs-xattrs.js';
import { MtMedium } from './mt-medium.js';
import { ProcMountsProbe, type MountProbe } from './mount-probe.js';

export interface OpenedLtfsLibrary {
  library: MtxLibrary | null;
  drives: LtfsDrive[];
}

export interface LtfsBackendOverrides {
  /** Tests inject a recording runner; by default an ExecFileRunner over `settings.bin`. */
  runner?: CommandRunner;
  probe?: MountProbe;
}

const MIN_EARLY_WARNING_BLOCKS = 4;

export function openLtfsLibrary(settings: LtfsLibrarySettings, log: Logger, overrides: LtfsBackendOverrides = {}): OpenedLtfsLibrary {
  const runner = overrides.runner ?? new ExecFileRunner(settings.bin);
  const probe = overrides.probe ?? new ProcMountsProbe();
  const library = settings.changer
    ? new MtxLibrary(
        {
          name: settings.name,
          serial: settings.changer.serial ?? `${settings.name}@${basename(settings.changer.device)}`,
          device: settings.changer.device,
          moveTimeoutMs: settings.timeouts.moveMs,
          statusTimeoutMs: settings.timeouts.commandMs,
        },
        runner,
        log.child({ library: settings.name }),
      )
    : null;
  const volumeContext: LtfsVolumeContext = {
    runner,
    xattrs: new LtfsXattrs(runner, settings.timeouts.commandMs),
    probe,
    log: log.child({ library: settings.name }),
    unmountTool: settings.unmountCommand,
    unmountTimeoutMs: settings.timeouts.unmountMs,
    pollIntervalMs: settings.pollIntervalMs,
    earlyWarningBytes: (total) => settings.earlyWarningBytes ?? Math.max(MIN_EARLY_WARNING_BLOCKS * BLOCK_SIZE, Math.floor(total * 0.02)),
  };
  const drives = settings.drives.map((d, i) => {
    const name = d.name ?? `${settings.name}-drive${i}`;
    const generation = d.generation ?? settings.generation;
    return new LtfsDrive(
      {
        name,
        device: d.device,
        serial: d.serial ?? `${settings.name}:${basename(d.device)}`,
        vendor: d.vendor,
        model: d.model ?? `ULTRIUM-${generation}`,
        generation,
        library,
        libraryDriveIndex: d.changerDriveIndex ?? i,
        mountRoot: settings.mountRoot,
        workDirectory: join(settings.workDirectory, name),
        syncType: settings.syncType,
        eject: settings.eject,
        mountTimeoutMs: settings.timeouts.mountMs,
        formatTimeoutMs: settings.timeouts.formatMs,
        checkTimeoutMs: settings.timeouts.checkMs,
        // Without a changer the drive itself says whether it holds a cartridge, and ejects it.
        ...(library ? {} : { standalone: new MtMedium(runner, d.device, settings.timeouts.commandMs) }),
      },
      runner,
      volumeContext,
      log.child({ drive: name }),
    );
  });
  if (library) {
    // A cartridge must not leave a drive while LTFS has it mounted (its index would be lost).
    library.driveBusy = (index) => {
      return drives.find((d) => d.identity.libraryDriveIndex === index)?.busyReason() ?? null;
    };
  }
  return { library, drives };
}
