// Restores a sparse file's object: its bytes are the file's data extents one after another, so each
// piece is written at its own place in the file and nothing is written between them: the gaps stay
// holes (the file is truncated to its size once every piece is in). Works piece by piece, so a
// segment of a sparse file spanning tapes (which starts `packedStart` bytes into the packed stream)
// lands where it belongs.
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { DataExtent } from '@ferrite/proto';

export interface Piece {
  /** Where in the file. */
  fileOffset: number;
  /** Where in the chunk, and how much. */
  from: number;
  length: number;
}

/** Where `length` bytes starting `packedOffset` bytes into the packed extents go in the file. Pure. */
export function scatter(map: readonly DataExtent[], packedOffset: number, length: number): Piece[] {
  const out: Piece[] = [];
  let packed = 0;
  let from = 0;
  let at = packedOffset;
  const end = packedOffset + length;
  for (const e of map) {
    if (at >= end) break;
    const eEnd = packed + e.length;
    if (at < eEnd) {
      const n = Math.min(eEnd, end) - at;
      out.push({ fileOffset: e.offset + (at - packed), from, length: n });
      from += n;
      at += n;
    }
    packed = eEnd;
  }
  if (at < end) throw new Error(`${end - at} bytes past the data extents of the file (packed offset ${at})`);
  return out;
}

/** A Writable that scatters the packed bytes it gets into `file`, an open descriptor of the
 *  restore's temporary file (opened without following symlinks; the caller closes it). */
export class ScatterWritable extends Writable {
  private packed: number;

  constructor(
    private readonly file: FileHandle,
    private readonly map: readonly DataExtent[],
    packedStart: number,
  ) {
    super();
    this.packed = packedStart;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    const pieces = scatter(this.map, this.packed, chunk.length);
    this.packed += chunk.length;
    (async () => {
      for (const p of pieces) await this.file.write(chunk, p.from, p.length, p.fileOffset);
    })().then(() => callback(), callback);
  }
}

/**
 * A Writable that writes what it gets into `file` from `start` on, one positioned write per chunk.
 * FileHandle.createWriteStream would do, but it holds the handle until the stream closes it, so a
 * handle meant to outlive the stream (to chmod and rename it after) could never be closed.
 */
export class FileWritable extends Writable {
  constructor(
    private readonly file: FileHandle,
    private at: number,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    const at = this.at;
    this.at += chunk.length;
    (async () => {
      for (let done = 0; done < chunk.length;) done += (await this.file.write(chunk, done, chunk.length - done, at + done)).bytesWritten;
    })().then(() => callback(), callback);
  }
}
