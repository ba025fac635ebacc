// One copy of a large file on its way to tape, cut into segments where a tape ends. The bytes go to
// the copy's current tape until its early-warning point; what does not fit continues, at the same
// path, on the next tape the copy is given (TapeChanger.change), as many tapes as the file needs.
// Each segment records its place in the file (index, offset, length), its tape position and its own
// SHA-256, so one tape can be verified alone and a restore can tell which piece is damaged.
// A file that fits is one segment 0 with no segment hash: the file's SHA-256 describes it.
import { createHash, type Hash } from 'node:crypto';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { TapeLocation } from '@ferrite/proto';
import type { CopyVolume } from './copy-volumes.js';

/** Below this much room before early warning a tape takes no new segment: the file starts on the next. */
export const MIN_SEGMENT_BYTES = 1024 * 1024;

/**
 * Gives the copy its next tape once `full` has no room left (the old one is unmounted by then).
 * `piece` is the segment that ends `full`, if the file has one there.
 */
export type NextVolume = (full: CopyVolume, piece: TapeLocation | undefined) => Promise<CopyVolume>;

interface OpenSegment {
  out: Writable;
  hash: Hash;
  length: number;
  room: number;
}

export class SegmentingWritable extends Writable {
  /** The segments written so far, in file order; complete once the stream has finished. */
  readonly segments: TapeLocation[] = [];
  private current: OpenSegment | null = null;
  private fileOffset = 0;

  constructor(
    private copy: CopyVolume,
    private readonly relPath: string,
    private readonly nextVolume: NextVolume,
  ) {
    super({ highWaterMark: 4 * 1024 * 1024 });
  }

  /** The copy's tape now: it changes as the file crosses tapes. */
  get volume(): CopyVolume {
    return this.copy;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeAll(chunk).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.closeSegment().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Closed without an error of its own: the reason is this stream's, reported once, by it.
    this.current?.out.destroy();
    cb(err);
  }

  private async writeAll(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      const segment = this.current ?? (await this.openSegment());
      const n = Math.min(rest.length, segment.room - segment.length);
      if (n === 0) {
        // The tape has no room for more: the rest of the file goes on the next one.
        await this.closeSegment();
        this.copy = await this.nextVolume(this.copy, this.segments.at(-1));
        continue;
      }
      const part = rest.subarray(0, n);
      segment.hash.update(part);
      segment.length += n;
      await writeChunk(segment.out, part);
      rest = rest.subarray(n);
    }
  }

  /** Opens the file on the copy's tape, with the room left there (after changing tapes if there is none). */
  private async openSegment(): Promise<OpenSegment> {
    let room = (await this.copy.volume.space()).bytesBeforeEarlyWarning;
    if (room < MIN_SEGMENT_BYTES) {
      this.copy = await this.nextVolume(this.copy, undefined);
      room = (await this.copy.volume.space()).bytesBeforeEarlyWarning;
      if (room < MIN_SEGMENT_BYTES) throw new Error(`tape ${this.copy.barcode} has no room for data (${room} bytes before early warning)`);
    }
    const out = await this.copy.volume.createWriteStream(this.relPath);
    // A failure of the tape's stream (end of medium, a drive error) fails this one.
    out.on('error', (err) => this.destroy(err));
    this.current = { out, hash: createHash('sha256'), length: 0, room };
    return this.current;
  }

  /** Ends the open segment on its tape and records where it lies. */
  private async closeSegment(): Promise<void> {
    const segment = this.current;
    if (!segment) {
      // An empty stream (the file was emptied before it was read) still leaves an object to point at.
      if (this.segments.length === 0) await this.openSegment();
      else return;
      return this.closeSegment();
    }
    this.current = null;
    segment.out.end();
    await finished(segment.out);
    const pos = await this.copy.volume.position(this.relPath);
    this.segments.push({
      barcode: this.copy.barcode,
      partition: pos.partition,
      startBlock: pos.startBlock,
      containerPath: this.relPath,
      offset: 0,
      length: segment.length,
      segment: this.segments.length,
      fileOffset: this.fileOffset,
      copy: this.copy.copy,
      segmentSha256: segment.hash.digest(),
      dataMap: [],
    });
    this.fileOffset += segment.length;
  }

  /** The segments as the catalog takes them: a file in one piece carries no segment hash. */
  locations(): TapeLocation[] {
    if (this.segments.length === 1) return [{ ...this.segments[0], segmentSha256: Buffer.alloc(0) }];
    return this.segments;
  }
}

function writeChunk(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
