// A mounted emulated LTFS volume: real files under the cartridge's volume directory, plus the
// in-memory LTFS index (path -> partition, start block, size) that sync() and unmount() persist.
// Blocks are handed out on partition 'b' in write order; capacity is counted in 512 KiB blocks.
import { close as fsClose, createReadStream as fsCreateReadStream, constants as fsConstants, open as fsOpen } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { promisify } from 'node:util';
import { BLOCK_SIZE, TapeError, type FilePosition, type MountedVolume, type VolumeSpace } from '../drive.js';
import type { BlockPointers, VolumeIndex } from './cartridge-state.js';
import type { EmulatedContext } from './emulated-context.js';
import { paceDelayMs } from './timing.js';
import { normalizeVolumeFilePath, normalizeVolumePath } from './volume-path.js';
import { VolumeFileStream, type WriteOutcome } from './volume-file-stream.js';

const openFd = promisify(fsOpen);
const READ_HIGH_WATER_MARK = 1024 * 1024;
const FSYNC_CONCURRENCY = 16;

export interface VolumeMount {
  barcode: string;
  root: string;
  readOnly: boolean;
  /** Why writes are refused when readOnly (mounted read-only, protect tab, older medium). */
  readOnlyReason: string | null;
  capacityBytes: number;
  index: VolumeIndex;
}

export class EmulatedVolume implements MountedVolume {
  readonly barcode: string;
  readonly readOnly: boolean;
  readonly root: string;

  private readonly files = new Map<string, FilePosition>();
  private readonly nextBlock: BlockPointers;
  private readonly totalBlocks: number;
  private indexGeneration: number;
  /** Paths whose write stream is still open: left out of index snapshots. */
  private readonly writing = new Map<string, VolumeFileStream>();
  private readonly openStreams = new Set<VolumeFileStream>();
  /** Completed files not yet fsynced. */
  private readonly unsynced = new Set<string>();
  private headBlock = 0;
  private mounted = true;
  private syncChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: EmulatedContext,
    private readonly mount: VolumeMount,
    private readonly onUnmounted: () => void,
  ) {
    this.barcode = mount.barcode;
    this.readOnly = mount.readOnly;
    this.root = mount.root;
    this.totalBlocks = Math.floor(mount.capacityBytes / BLOCK_SIZE);
    this.nextBlock = { ...mount.index.nextBlock };
    this.indexGeneration = mount.index.generation;
    for (const [path, position] of Object.entries(mount.index.files)) this.files.set(path, { ...position });
  }

  /** Blocks used on the data partition, live (the drive reports it in CartridgeInfo). */
  get usedBlocks(): number {
    return this.nextBlock.b;
  }

  get isMounted(): boolean {
    return this.mounted;
  }

  async space(): Promise<VolumeSpace> {
    this.assertMounted();
    const totalBytes = this.totalBlocks * BLOCK_SIZE;
    const usedBytes = Math.min(this.nextBlock.b, this.totalBlocks) * BLOCK_SIZE;
    const earlyWarningAt = totalBytes - this.ctx.earlyWarningBytes(this.mount.capacityBytes);
    return {
      totalBytes,
      usedBytes,
      availableBytes: totalBytes - usedBytes,
      earlyWarning: usedBytes > earlyWarningAt,
      bytesBeforeEarlyWarning: Math.max(0, earlyWarningAt - usedBytes),
    };
  }

  async createWriteStream(relPath: string): Promise<Writable> {
    this.assertMounted();
    const path = normalizeVolumeFilePath(relPath);
    if (this.readOnly) {
      throw new TapeError('WRITE_PROTECTED', `cannot write ${path}: volume ${this.barcode} is ${this.mount.readOnlyReason}`);
    }
    this.assertRoomLeft();
    const absolute = join(this.root, path);
    let fd: number;
    try {
      await mkdir(dirname(absolute), { recursive: true });
      fd = await openFd(absolute, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o644);
    } catch (err) {
      throw new TapeError('MEDIUM_ERROR', `cannot create ${path} on ${this.barcode}: ${(err as Error).message}`);
    }
    if (!this.mounted) {
      await new Promise((resolve) => fsClose(fd, resolve));
      throw new TapeError('NOT_MOUNTED', `volume ${this.barcode} was unmounted while ${path} was being created`);
    }
    // The start block is taken once the file exists (another file may have finished meanwhile; if
    // that filled the tape, the limit below is 0 and the stream fails with END_OF_MEDIUM).
    const startBlock = this.nextBlock.b;
    // Like LTFS, the file is in the index from the moment it is created; a replaced file's old
    // blocks stay used (tape is append-only).
    this.files.set(path, { partition: 'b', startBlock, size: 0 });
    const stream: VolumeFileStream = new VolumeFileStream({
      fd,
      limitBytes: Math.max(0, this.totalBlocks - startBlock) * BLOCK_SIZE,
      bytesPerSecond: this.ctx.timing.bytesPerSecond,
      onFinish: (bytes) => this.fileFinished(path, stream, startBlock, bytes),
      onClose: (outcome) => this.fileClosed(path, absolute, stream, startBlock, outcome),
    });
    this.writing.set(path, stream);
    this.openStreams.add(stream);
    return stream;
  }

  createReadStream(relPath: string, range?: { start: number; end: number }): Readable {
    let path: string;
    let position: FilePosition;
    try {
      this.assertMounted();
      path = normalizeVolumeFilePath(relPath);
      position = this.lookup(path);
    } catch (err) {
      return failedReadable(err as Error);
    }
    const absolute = join(this.root, path);
    const start = range?.start ?? 0;
    const end = range?.end ?? Math.max(0, position.size - 1);
    const firstBlock = position.startBlock + Math.floor(start / BLOCK_SIZE);
    const fromBlock = this.headBlock;
    this.headBlock = position.startBlock + Math.ceil((end + 1) / BLOCK_SIZE);
    const stream = fsCreateReadStream(absolute, { start, end, highWaterMark: READ_HIGH_WATER_MARK });
    if (!this.ctx.timing.enabled) return stream;
    return Readable.from(this.paced(stream, fromBlock, firstBlock));
  }

  async position(relPath: string): Promise<FilePosition> {
    this.assertMounted();
    return { ...this.lookup(normalizeVolumeFilePath(relPath)) };
  }

  async exists(relPath: string): Promise<boolean> {
    this.assertMounted();
    const path = normalizeVolumePath(relPath);
    if (path === '' || this.files.has(path)) return true;
    const prefix = `${path}/`;
    for (const key of this.files.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  async list(relDir: string): Promise<string[]> {
    this.assertMounted();
    const dir = normalizeVolumePath(relDir);
    const prefix = dir === '' ? '' : `${dir}/`;
    return [...this.files.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async sync(): Promise<void> {
    this.assertMounted();
    if (this.readOnly) return;
    // Syncs run one after another so index generations are written in order.
    const run = this.syncChain.then(() => this.writeIndex());
    this.syncChain = run.catch(() => undefined);
    await run;
  }

  async unmount(): Promise<void> {
    this.assertMounted();
    const stillWriting = [...this.openStreams].filter((s) => !s.writableEnded && !s.destroyed);
    if (stillWriting.length > 0) {
      throw new TapeError('DRIVE_BUSY', `cannot unmount ${this.barcode}: ${stillWriting.length} file(s) are still being written`);
    }
    // Streams that ended or failed may still be closing their descriptors.
    await Promise.all([...this.openStreams].map((s) => new Promise((resolve) => (s.closed ? resolve(null) : s.once('close', resolve)))));
    if (!this.readOnly) {
      await this.sync();
      await this.ctx.mutex.run(() =>
        this.ctx.store.update(this.barcode, (state) => {
          state.dirty = false;
        }),
      );
    }
    this.mounted = false;
    this.onUnmounted();
  }

  private fileFinished(path: string, stream: VolumeFileStream, startBlock: number, bytes: number): void {
    const blocks = Math.max(1, Math.ceil(bytes / BLOCK_SIZE));
    if (startBlock + blocks > this.totalBlocks) {
      throw new TapeError('END_OF_MEDIUM', `end of medium: no block left on ${this.barcode} for ${path}`);
    }
    this.nextBlock.b += blocks;
    this.headBlock = startBlock + blocks;
    if (this.writing.get(path) === stream) {
      this.writing.delete(path);
      this.files.set(path, { partition: 'b', startBlock, size: bytes });
      this.unsynced.add(path);
    }
  }

  private async fileClosed(path: string, absolute: string, stream: VolumeFileStream, startBlock: number, outcome: WriteOutcome): Promise<void> {
    this.openStreams.delete(stream);
    if (outcome.finished) return;
    const current = this.writing.get(path) === stream;
    if (current) this.writing.delete(path);
    if (outcome.endOfMedium) {
      // The blocks written before the end of the medium are spent; the truncated file is dropped.
      this.nextBlock.b += Math.ceil(outcome.bytesWritten / BLOCK_SIZE);
      if (current) {
        this.files.delete(path);
        this.unsynced.delete(path);
        await rm(absolute, { force: true });
      }
      return;
    }
    // Aborted by the writer: like LTFS, the partial file stays, with the bytes that reached tape.
    this.nextBlock.b += Math.max(1, Math.ceil(outcome.bytesWritten / BLOCK_SIZE));
    if (current) {
      this.files.set(path, { partition: 'b', startBlock, size: outcome.bytesWritten });
      this.unsynced.add(path);
    }
  }

  private async writeIndex(): Promise<void> {
    const toSync = [...this.unsynced];
    this.unsynced.clear();
    try {
      await fsyncFiles(this.root, toSync);
    } catch (err) {
      for (const path of toSync) if (this.files.has(path)) this.unsynced.add(path);
      throw new TapeError('MEDIUM_ERROR', `sync of ${this.barcode} failed: ${(err as Error).message}`);
    }
    const files: Record<string, FilePosition> = {};
    for (const path of [...this.files.keys()].sort()) {
      if (!this.writing.has(path)) files[path] = { ...this.files.get(path)! };
    }
    const index: VolumeIndex = {
      format: 1,
      volumeUuid: this.mount.index.volumeUuid,
      generation: this.indexGeneration + 1,
      writtenAt: new Date().toISOString(),
      nextBlock: { ...this.nextBlock },
      files,
    };
    // The index itself takes blocks on the index partition.
    const bytes = Buffer.byteLength(JSON.stringify(index));
    index.nextBlock.a += Math.max(1, Math.ceil(bytes / BLOCK_SIZE));
    await this.ctx.mutex.run(async () => {
      await this.ctx.store.writeIndex(this.barcode, index);
      await this.ctx.store.update(this.barcode, (state) => {
        state.nextBlock = { ...index.nextBlock };
        state.indexGeneration = index.generation;
      });
    });
    this.indexGeneration = index.generation;
    this.nextBlock.a = index.nextBlock.a;
  }

  private lookup(path: string): FilePosition {
    const position = this.files.get(path);
    if (!position) throw new TapeError('FILE_NOT_FOUND', `no file ${path} on volume ${this.barcode}`);
    return position;
  }

  private assertRoomLeft(): void {
    if (this.nextBlock.b >= this.totalBlocks) {
      throw new TapeError('END_OF_MEDIUM', `end of medium: volume ${this.barcode} is full`);
    }
  }

  private assertMounted(): void {
    if (!this.mounted) throw new TapeError('NOT_MOUNTED', `volume ${this.barcode} is not mounted`);
  }

  /** Locates to the file (when the head is elsewhere), then streams at the drive's rate. */
  private async *paced(source: Readable, fromBlock: number, toBlock: number): AsyncGenerator<Buffer> {
    try {
      await this.ctx.timing.locate(fromBlock, toBlock, this.totalBlocks);
      const startedAt = performance.now();
      let bytes = 0;
      for await (const chunk of source) {
        bytes += (chunk as Buffer).length;
        const wait = paceDelayMs(bytes, startedAt, this.ctx.timing.bytesPerSecond);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        yield chunk as Buffer;
      }
    } finally {
      source.destroy();
    }
  }
}

function failedReadable(err: Error): Readable {
  const stream = new Readable({ read() {} });
  process.nextTick(() => stream.destroy(err));
  return stream;
}

/** fsyncs files and every directory between them and the root (new names live in their parents). */
async function fsyncFiles(root: string, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  const dirs = new Set<string>([root]);
  const targets = paths.map((p) => join(root, p));
  for (const t of targets) {
    for (let d = dirname(t); d.length > root.length && !dirs.has(d); d = dirname(d)) dirs.add(d);
  }
  const all = [...targets, ...dirs];
  for (let i = 0; i < all.length; i += FSYNC_CONCURRENCY) {
    await Promise.all(all.slice(i, i + FSYNC_CONCURRENCY).map(fsyncPath));
  }
}

async function fsyncPath(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    // A file replaced or removed since it was written has nothing left to sync.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
