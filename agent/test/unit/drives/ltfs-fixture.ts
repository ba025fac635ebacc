// Test hardware for the ltfs and mtx backends: a state directory for the fake tools in
// test/fixtures/fake-bin (a changer with slots and drives, cartridges, failure switches), a
// runner that records every command line, and the backend opened over them.
import { chmod, mkdir, mkdtemp, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ExecFileRunner,
  type CommandResult,
  type CommandRunner,
  type RunningCommand,
  type RunOptions,
  type StartOptions,
  type ToolName,
} from '../../../src/drives/ltfs/command-runner.js';
import { ltfsLibrarySchema, type LtfsLibrarySettings } from '../../../src/config/ltfs-config-schema.js';
import { openLtfsLibrary, type OpenedLtfsLibrary } from '../../../src/drives/ltfs/open-ltfs-library.js';
import type { MountProbe } from '../../../src/drives/ltfs/mount-probe.js';
import { createLogger } from '../../../src/logger.js';

/** agent/test/fixtures/fake-bin, from agent/dist/test/unit/drives. */
export const FAKE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/fake-bin');
const TOOLS: ToolName[] = ['mkltfs', 'ltfs', 'ltfsck', 'umount', 'fusermount', 'mountpoint', 'getfattr', 'setfattr', 'mtx', 'mt'];

export interface FakeTape {
  formatted?: boolean;
  writeProtected?: boolean;
  mediumError?: boolean;
  dirty?: boolean;
  /** With dirty: LTFS repairs it by itself at the next mount (LTFS11022I) instead of refusing it. */
  repairsItself?: boolean;
  eodMissing?: boolean;
  capacityMiB?: number;
  tapeAlert?: number;
  [key: string]: unknown;
}

export interface FakeState {
  changer: {
    device: string;
    busy?: boolean;
    slots: Array<{ slot: number; barcode: string | null; ie: boolean }>;
    drives: Array<{ device: string; barcode: string | null; source: number | null }>;
  };
  tapes: Record<
    string,
    FakeTape & {
      uuid?: string | null;
      indexGeneration?: number;
      nextBlock?: number;
      positions?: Record<string, { startBlock: number; partition: string; size: number }>;
      syncs?: number;
      checks?: number;
      rolledBackTo?: number;
      deepRecovered?: boolean;
    }
  >;
  mounts: Record<string, { device: string; barcode: string; ro: boolean; detached: boolean; syncType: string; eject: boolean }>;
  busyDevices: string[];
  faults: { unmountDelayMs?: number; umountBusy?: boolean; syncFails?: boolean; indexWriteFails?: boolean; xattrMediumError?: boolean };
}

export class RecordingRunner implements CommandRunner {
  readonly calls: Array<{ tool: ToolName; args: string[] }> = [];
  constructor(private readonly inner: CommandRunner) {}
  run(tool: ToolName, args: string[], options?: RunOptions): Promise<CommandResult> {
    this.calls.push({ tool, args });
    return this.inner.run(tool, args, options);
  }
  start(tool: ToolName, args: string[], options?: StartOptions): RunningCommand {
    this.calls.push({ tool, args });
    return this.inner.start(tool, args, options);
  }
  /** Calls of one tool, as command-line strings ("-d /dev/nst0 -s ..."). */
  of(tool: ToolName): string[] {
    return this.calls.filter((c) => c.tool === tool).map((c) => c.args.join(' '));
  }
}

/** The fake tools' mount table, read in-process (what /proc/self/mounts is on a real host). */
class FakeMountProbe implements MountProbe {
  constructor(private readonly dir: string) {}
  async isMounted(dir: string): Promise<boolean> {
    const state = JSON.parse(await readFile(path.join(this.dir, 'state.json'), 'utf8')) as FakeState;
    const m = state.mounts[dir];
    return Boolean(m && !m.detached);
  }
}

export interface FakeHardwareOptions {
  /** Slot contents, slot 1 first; null = empty. */
  slots: Array<string | null>;
  /** How many of the last slots are import/export slots. */
  importExport?: number;
  drives?: number;
  tapes?: Record<string, FakeTape>;
  /** Open the backend without the changer (a standalone drive). */
  standalone?: boolean;
  settings?: Partial<Record<string, unknown>>;
}

export class FakeHardware {
  private constructor(
    readonly dir: string,
    readonly runner: RecordingRunner,
    readonly settings: LtfsLibrarySettings,
    readonly backend: OpenedLtfsLibrary,
  ) {}

  static async create(options: FakeHardwareOptions): Promise<FakeHardware> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ferrite-ltfs-'));
    const ie = options.importExport ?? 0;
    const drives = options.drives ?? 1;
    const state: FakeState = {
      changer: {
        device: '/dev/sg3',
        slots: options.slots.map((barcode, i) => ({ slot: i + 1, barcode, ie: i >= options.slots.length - ie })),
        drives: Array.from({ length: drives }, (_, i) => ({ device: `/dev/nst${i}`, barcode: null, source: null })),
      },
      // A cartridge given as formatted looks as mkltfs -s VOLSER -n BARCODE left it.
      tapes: Object.fromEntries(
        Object.entries(options.tapes ?? {}).map(([b, t]) => [
          b,
          {
            formatted: false,
            capacityMiB: 64,
            nextBlock: 0,
            indexGeneration: t.formatted ? 1 : 0,
            positions: {},
            ...(t.formatted ? { uuid: randomUUID(), name: b, serial: b.slice(0, 6) } : {}),
            ...t,
          },
        ]),
      ),
      mounts: {},
      busyDevices: [],
      faults: {},
    };
    await writeFile(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
    const bin = Object.fromEntries(TOOLS.map((t) => [t, path.join(FAKE_BIN, t)]));
    // Git keeps the executable bit, but an archive or a copy may not.
    await Promise.all(Object.values(bin).map((p) => chmod(p, 0o755)));
    const settings = ltfsLibrarySchema.parse({
      backend: 'ltfs',
      name: 'lib1',
      ...(options.standalone ? {} : { changer: { device: '/dev/sg3', serial: 'FAKE-CHANGER' } }),
      drives: Array.from({ length: drives }, (_, i) => ({ device: `/dev/nst${i}`, name: `drive${i}` })),
      generation: 9,
      mountRoot: path.join(dir, 'mnt'),
      workDirectory: path.join(dir, 'work'),
      bin,
      pollIntervalMs: 20,
      ...options.settings,
    });
    const runner = new RecordingRunner(new ExecFileRunner(bin, { ...process.env, FAKE_TAPE_STATE: dir }));
    const backend = openLtfsLibrary(settings, createLogger('silent'), { runner, probe: new FakeMountProbe(dir) });
    return new FakeHardware(dir, runner, settings, backend);
  }

  get drive() {
    return this.backend.drives[0];
  }

  get library() {
    return this.backend.library!;
  }

  async state(): Promise<FakeState> {
    return JSON.parse(await readFile(path.join(this.dir, 'state.json'), 'utf8')) as FakeState;
  }

  /** Read-modify-write under the fake tools' lock, replacing the file atomically (the ltfs fake polls it). */
  async update(change: (state: FakeState) => void): Promise<void> {
    const lock = path.join(this.dir, 'state.lock');
    for (let i = 0; ; i++) {
      try {
        await mkdir(lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i > 2000) throw err;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    try {
      const state = await this.state();
      change(state);
      await writeFile(path.join(this.dir, 'state.json.tmp'), JSON.stringify(state, null, 2));
      await rename(path.join(this.dir, 'state.json.tmp'), path.join(this.dir, 'state.json'));
    } finally {
      await rmdir(lock);
    }
  }

  /** Puts a cartridge straight into a drive, as an operator would by hand. */
  async insert(barcode: string, driveIndex = 0): Promise<void> {
    await this.update((s) => {
      s.changer.drives[driveIndex].barcode = barcode;
      s.changer.drives[driveIndex].source = null;
    });
  }

  volumeDir(barcode: string): string {
    return path.join(this.dir, 'tapes', barcode, 'volume');
  }

  async cleanup(): Promise<void> {
    for (const drive of this.backend.drives) await drive.mountedVolume?.unmount().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
