// A file on a mounted LTFS volume, written through a file handle so that what the kernel reports
// (ENOSPC when the tape is full, EROFS on a read-only mount, EIO on a medium error) reaches job
// handlers as TapeErrors with the codes they act on. LTFS may report a write failure only when the
// file is closed, so close errors are mapped too.
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { TapeError } from '../drive.js';

export function mapFsError(err: unknown, what: string): Error {
  if (err instanceof TapeError) return err;
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOSPC':
      return new TapeError('END_OF_MEDIUM', `end of medium while writing ${what}: ${e.message}`);
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return new TapeError('WRITE_PROTECTED', `cannot write ${what}: ${e.message}`);
    case 'EIO':
      return new TapeError('MEDIUM_ERROR', `medium error on ${what}: ${e.message}`);
    case 'ENOENT':
      return new TapeError('FILE_NOT_FOUND', `${what}: ${e.message}`);
    case 'ENOTCONN':
      return new TapeError('NOT_MOUNTED', `${what}: the LTFS mount is gone (${e.message})`);
    default:
      return e instanceof Error ? e : new Error(String(e));
  }
}

export class LtfsWriteStream extends Writable {
  bytesWritten = 0;
  private handleClosed = false;
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly handle: FileHandle,
    private readonly what: string,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.writeAll(chunk).then(
      () => callback(),
      (err) => callback(mapFsError(err, this.what)),
    );
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    this.writeAll(Buffer.concat(chunks.map((c) => c.chunk))).then(
      () => callback(),
      (err) => callback(mapFsError(err, this.what)),
    );
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.closeHandle().then(
      () => callback(),
      (err) => callback(mapFsError(err, this.what)),
    );
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.closeHandle().then(
      () => callback(err),
      () => callback(err),
    );
  }

  private async writeAll(buffer: Buffer): Promise<void> {
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await this.handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
      this.bytesWritten += bytesWritten;
    }
  }

  private async closeHandle(): Promise<void> {
    if (this.handleClosed) return;
    this.handleClosed = true;
    try {
      await this.handle.close();
    } finally {
      this.resolveDone();
    }
  }
}
