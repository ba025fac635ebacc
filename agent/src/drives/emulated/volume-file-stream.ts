// The Writable behind MountedVolume.createWriteStream on the emulated drive: writes straight to the
// file descriptor (like fs.WriteStream), counts bytes to enforce the cartridge's capacity, optionally
// paces to the drive's streaming rate, and reports the outcome to the volume. Counting is the only
// per-chunk work: no copies, no fsync (the volume fsyncs at sync()).
import { close, write, writev } from 'node:fs';
import { Writable } from 'node:stream';
import { TapeError } from '../drive.js';
import { paceDelayMs } from './timing.js';

export interface WriteOutcome {
  /** Bytes that reached the file. */
  bytesWritten: number;
  /** The stream finished normally and its size is final. */
  finished: boolean;
  /** The stream failed because the tape is full. */
  endOfMedium: boolean;
}

export interface VolumeFileStreamOptions {
  fd: number;
  /** Writing more than this many bytes fails with END_OF_MEDIUM. */
  limitBytes: number;
  /** 0 = as fast as the disk goes. */
  bytesPerSecond: number;
  /** Called before 'finish' with the final size; throwing fails the stream. */
  onFinish(bytes: number): void;
  /** Called once the descriptor is closed, before 'error' or 'close' reach the caller. */
  onClose(outcome: WriteOutcome): Promise<void>;
}

const HIGH_WATER_MARK = 1024 * 1024;

export class VolumeFileStream extends Writable {
  private accepted = 0;
  private written = 0;
  private finishedOk = false;
  private endOfMedium = false;
  /** A write is in flight: destroy must wait for it before closing the descriptor (which could be reused). */
  private inFlight: (() => void) | null = null;
  private busy = false;
  /** Pacing starts at the first write, not when the stream was created. */
  private startedAt = -1;

  constructor(private readonly options: VolumeFileStreamOptions) {
    super({ highWaterMark: HIGH_WATER_MARK, decodeStrings: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.admit(chunk.length)) return callback(this.endOfMediumError());
    this.io([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    const total = buffers.reduce((sum, b) => sum + b.length, 0);
    if (!this.admit(total)) return callback(this.endOfMediumError());
    this.io(buffers, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.options.onFinish(this.written);
      this.finishedOk = true;
      callback();
    } catch (err) {
      if (err instanceof TapeError && err.code === 'END_OF_MEDIUM') this.endOfMedium = true;
      callback(err as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.busy) {
      this.inFlight = () => this._destroy(error, callback);
      return;
    }
    close(this.options.fd, (closeErr) => {
      const outcome: WriteOutcome = {
        bytesWritten: this.written,
        finished: this.finishedOk,
        endOfMedium: this.endOfMedium,
      };
      this.options.onClose(outcome).then(
        () => callback(error ?? closeErr),
        (cleanupErr: Error) => callback(error ?? cleanupErr),
      );
    });
  }

  private io(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.startedAt < 0) this.startedAt = performance.now();
    this.busy = true;
    writeAll(this.options.fd, buffers, (err, n) => {
      this.written += n;
      this.busy = false;
      const waiting = this.inFlight;
      this.inFlight = null;
      if (waiting) {
        callback(err);
        return waiting();
      }
      this.afterWrite(err, callback);
    });
  }

  private admit(bytes: number): boolean {
    if (this.accepted + bytes > this.options.limitBytes) {
      this.endOfMedium = true;
      return false;
    }
    this.accepted += bytes;
    return true;
  }

  private endOfMediumError(): TapeError {
    return new TapeError(
      'END_OF_MEDIUM',
      `end of medium after ${this.accepted} bytes: the tape had room for ${this.options.limitBytes} bytes from this file's start`,
    );
  }

  private afterWrite(err: Error | null, callback: (error?: Error | null) => void): void {
    if (err) return callback(err);
    const wait = paceDelayMs(this.written, this.startedAt, this.options.bytesPerSecond);
    if (wait > 0) setTimeout(callback, wait);
    else callback();
  }
}

/** Writes every byte of `buffers` at the current file position, retrying short writes. */
function writeAll(fd: number, buffers: Buffer[], done: (err: Error | null, bytes: number) => void): void {
  let total = 0;
  const step = (pending: Buffer[]): void => {
    const onWritten = (err: NodeJS.ErrnoException | null, n: number): void => {
      if (err) return done(err, total);
      total += n;
      const rest = dropBytes(pending, n);
      if (rest.length === 0) return done(null, total);
      step(rest);
    };
    if (pending.length === 1) write(fd, pending[0], 0, pending[0].length, null, onWritten);
    else writev(fd, pending, null, onWritten);
  };
  const nonEmpty = buffers.filter((b) => b.length > 0);
  if (nonEmpty.length === 0) done(null, 0);
  else step(nonEmpty);
}

function dropBytes(buffers: Buffer[], n: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = n;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}
