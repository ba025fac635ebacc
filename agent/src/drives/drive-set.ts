// The agent's drives and libraries, built from its configuration, looked up by drive name.
import type { TapeDrive, TapeLibrary } from './drive.js';
import type { AgentConfig } from '../config/agent-config.js';
import { openEmulatedLibrary } from './emulated/index.js';
import { openLtfsLibrary } from './ltfs/index.js';
import { openLtfsFileLibrary } from './ltfs-file/open-ltfs-file-library.js';
import { createLogger, type Logger } from '../logger.js';

export interface DriveEntry {
  drive: TapeDrive;
  library: TapeLibrary | null;
}

export class DriveSet {
  private readonly byName = new Map<string, DriveEntry>();

  constructor(
    readonly libraries: TapeLibrary[],
    entries: DriveEntry[],
  ) {
    for (const e of entries) {
      if (this.byName.has(e.drive.identity.name))
        throw new Error(
          `two drives are named ${e.drive.identity.name}: give each library its own drive names (driveNamePrefix for emulated and ltfs-file libraries, name for ltfs drives)`,
        );
      this.byName.set(e.drive.identity.name, e);
    }
  }

  get(name: string): DriveEntry | undefined {
    return this.byName.get(name);
  }

  all(): DriveEntry[] {
    return [...this.byName.values()];
  }
}

export async function openDriveSet(config: AgentConfig, log: Logger = createLogger(config.logLevel)): Promise<DriveSet> {
  const libraries: TapeLibrary[] = [];
  const entries: DriveEntry[] = [];
  for (const lib of config.libraries) {
    if (lib.backend === 'ltfs') {
      const { library, drives } = openLtfsLibrary(lib, log);
      if (library) libraries.push(library);
      for (const drive of drives) entries.push({ drive, library });
      continue;
    }
    if (lib.backend === 'ltfs-file') {
      const { library, drives } = await openLtfsFileLibrary(lib, config.stateDir, log);
      if (lib.changer) libraries.push(library);
      for (const drive of drives) entries.push({ drive, library: lib.changer ? library : null });
      continue;
    }
    const { library, drives } = await openEmulatedLibrary({
      name: lib.name,
      dir: lib.dir,
      slots: lib.slots,
      drives: lib.drives,
      generation: lib.generation,
      capacityBytes: lib.capacityBytes,
      earlyWarningBytes: lib.earlyWarningBytes,
      barcodes: lib.barcodes,
      timeScale: lib.timeScale,
      importExportSlots: lib.importExportSlots,
      shelfDir: lib.shelfDir,
      changer: lib.changer,
      driveNamePrefix: lib.driveNamePrefix,
    });
    // Without a changer the drives are standalone: jobs see no library (they ask an operator).
    if (lib.changer === false) {
      for (const drive of drives) entries.push({ drive, library: null });
      continue;
    }
    libraries.push(library);
    for (const drive of drives) entries.push({ drive, library });
  }
  return new DriveSet(libraries, entries);
}
