// A volume mounted by the ltfs daemon: plain file I/O on the FUSE mount point, positions and
// capacity from LTFS's extended attributes, index writes through user.ltfs.sync, and an unmount
// that returns only once the daemon has written its index and exited (umount returns before that).
import { createReadStream as fsCreateReadStream } from 'node:fs';
import { access, mkdir, open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../../logger.js';
import { TapeError, type FilePosition, type MountedVolume, type VolumeSpace } from '../drive.js';
import { normalizeVolumeFilePath, normalizeVolumePath } from '../emulated/volume-path.js';
import type { CommandRunner, RunningCommand } from './command-runner.js';
import { ltfsMessageIds, ltfsToolError } from './ltfs-errors.js';
import type { LtfsXattrs, VolumeAttributes } from './ltfs-xattrs.js';
import { LtfsWriteStream, mapFsError } from './ltfs-write-stream.js';
import { pollUntil, type MountProbe } from './mount-probe.js';

export interface LtfsVolumeContext {
  runner: CommandRunner;
  xattrs: LtfsXattrs;
  probe: MountProbe;
  log: Logger;
  unmountTool: 'umount' | 'fusermount';
  unmountTimeoutMs: number;
  pollIntervalMs: number;
  earlyWarningBytes: (totalBytes: number) => number;
}

export interface LtfsMount {
  barcode: string;
  root: string;
  readOnly: boolean;
  readOnlyReason: string | null;
  daemon: RunningCommand;
  /** What LTFS repaired by itself at mount (MountedVolume.recoveredAtMount). */
  recoveredAtMount?: string;
}

export class LtfsVolume implements MountedVolume {
  readonly barcode: string;
  readonly readOnly: boolean;
  readonly root: string;
  readonly recoveredAtMount?: string;
  private mounted = true;
  private readonly writers = new Set<LtfsWriteStream>();

  constructor(
    private readonly ctx: LtfsVolumeContext,
    private readonly mount: LtfsMount,
    private readonly hooks: {
      /** Runs while the volume is still mounted, before umount (the drive records capacity used). */
      beforeUnmount: (volume: LtfsVolume) => Promise<void>;
      unmounted: (result: { clean: boolean }) => void;
    },
  ) {
    this.barcode = mount.barcode;
    this.readOnly = mount.readOnly;
    this.root = mount.root;
    if (mount.recoveredAtMount) this.recoveredAtMount = mount.recoveredAtMount;
  }

  get isMounted(): boolean {
    return this.mounted;
  }

  /** Volume UUID, capacity, TapeAlert flags and index generation, as LTFS reports them now. */
  async attributes(): Promise<VolumeAttributes> {
    this.assertMounted();
    return this.ctx.xattrs.volume(this.root);
  }

  async space(): Promise<VolumeSpace> {
    this.assertMounted();
    const { totalBytes, availableBytes } = await this.ctx.xattrs.capacity(this.root);
    const earlyWarningBytes = this.ctx.earlyWarningBytes(totalBytes);
    return {
      totalBytes,
      usedBytes: Math.max(0, totalBytes - availableBytes),
      availableBytes,
      earlyWarning: availableBytes <= earlyWarningBytes,
      bytesBeforeEarlyWarning: Math.max(0, availableBytes - earlyWarningBytes),
    };
  }

  async createWriteStream(relPath: string): Promise<Writable> {
    this.assertMounted();
    const path = normalizeVolumeFilePath(relPath);
    if (this.readOnly) throw new TapeError('WRITE_PROTECTED', `cannot write ${path}: volume ${this.barcode} is ${this.mount.readOnlyReason ?? 'read-only'}`);
    const absolute = join(this.root, path);
    let stream: LtfsWriteStream;
    try {
      await mkdir(dirname(absolute), { recursive: true });
      stream = new LtfsWriteStream(await open(absolute, 'w', 0o644), `${path} on ${this.barcode}`);
    } catch (err) {
      throw mapFsError(err, `${path} on ${this.barcode}`);
    }
    this.writers.add(stream);
    void stream.done.then(() => this.writers.delete(stream));
    return stream;
  }

  createReadStream(relPath: string, range?: { start: number; end: number }): Readable {
    const path = normalizeVolumeFilePath(relPath);
    return fsCreateReadStream(join(this.root, path), { start: range?.start, end: range?.end, highWaterMark: 1024 * 1024 });
  }

  async position(relPath: string): Promise<FilePosition> {
    this.assertMounted();
    const path = normalizeVolumeFilePath(relPath);
    const absolute = join(this.root, path);
    const st = await stat(absolute).catch((err) => {
      throw mapFsError(err, `${path} on ${this.barcode}`);
    });
    const position = await this.ctx.xattrs.position(absolute);
    // An empty file has no extent on tape, hence no start block: it costs nothing to read back.
    return { partition: position?.partition ?? 'b', startBlock: position?.startBlock ?? 0, size: st.size };
  }

  async exists(relPath: string): Promise<boolean> {
    this.assertMounted();
    return access(join(this.root, normalizeVolumePath(relPath))).then(
      () => true,
      () => false,
    );
  }

  async list(relDir: string): Promise<string[]> {
    this.assertMounted();
    const dir = normalizeVolumePath(relDir);
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.root, rel), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw mapFsError(err, `${rel || '/'} on ${this.barcode}`);
      }
      for (const e of entries) {
        const child = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) await walk(child);
        else out.push(child);
      }
    };
    await walk(dir);
    return out.sort();
  }

  async sync(): Promise<void> {
    this.assertMounted();
    if (this.readOnly) return;
    await this.ctx.xattrs.sync(this.root);
  }

  async unmount(): Promise<void> {
    this.assertMounted();
    const open = [...this.writers].filter((w) => !w.writableEnded && !w.destroyed);
    if (open.length > 0) throw new TapeError('DRIVE_BUSY', `cannot unmount ${this.barcode}: ${open.length} file(s) are still being written`);
    // Streams that ended may still be closing (LTFS flushes a file's data on close).
    await Promise.all([...this.writers].map((w) => w.done));

    const { daemon } = this.mount;
    if (!daemon.hasExited) await this.hooks.beforeUnmount(this);
    if (!daemon.hasExited) {
      const args = this.ctx.unmountTool === 'fusermount' ? ['-u', this.root] : [this.root];
      const result = await this.ctx.runner.run(this.ctx.unmountTool, args, { timeoutMs: 120_000 });
      if (result.exitCode !== 0 && !daemon.hasExited) {
        const busy = /busy/i.test(result.stderr);
        throw ltfsToolError(`unmounting ${this.barcode}`, result, busy ? 'DRIVE_BUSY' : 'MEDIUM_ERROR');
      }
    }
    // umount only detaches the mount; LTFS writes its index afterwards and then exits. Returning
    // before it exits would let the cartridge be moved with the index unwritten.
    const ended = await Promise.race([daemon.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), this.ctx.unmountTimeoutMs).unref())]);
    if (ended === null) {
      throw new TapeError(
        'DRIVE_BUSY',
        `LTFS has not finished writing the index of ${this.barcode} after ${this.ctx.unmountTimeoutMs} ms (still running: ${daemon.command})`,
      );
    }
    await pollUntil(async () => !(await this.ctx.probe.isMounted(this.root)), { intervalMs: this.ctx.pollIntervalMs, timeoutMs: 10_000 });
    this.mounted = false;
    const ids = ltfsMessageIds(daemon.output());
    const clean = ended.exitCode === 0 && !ids.includes('11033E');
    this.hooks.unmounted({ clean });
    this.ctx.log.info({ barcode: this.barcode, exitCode: ended.exitCode, clean }, 'ltfs volume unmounted');
    if (!clean) {
      throw ltfsToolError(`writing the index of ${this.barcode} at unmount`, { ...ended, stderr: daemon.output() }, 'MEDIUM_ERROR');
    }
  }

  private assertMounted(): void {
    if (!this.mounted) throw new TapeError('NOT_MOUNTED', `volume ${this.barcode} is not mounted`);
  }
}
