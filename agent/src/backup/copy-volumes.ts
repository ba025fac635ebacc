// The volumes one backup writes at the same time: copy 1 in the job's drive and, for a pool with
// copies N, copies 2..N in further drives ("copy while writing"). Every object is written once by
// the job (read and hashed once) and teed to all of them, so the copies are byte-identical; each
// copy's position is read from its own volume, since LTFS places the object independently on each
// tape. With one copy this is a thin pass-through to the single volume.
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { TapeLocation } from '@ferrite/proto';
import type { MountedVolume } from '../drives/drive.js';

export interface CopyVolume {
  copy: number;
  barcode: string;
  volume: MountedVolume;
}

export class CopyVolumes {
  constructor(readonly copies: CopyVolume[]) {
    if (copies.length === 0) throw new Error('a backup needs at least one volume');
  }

  get barcodes(): string[] {
    return this.copies.map((c) => c.barcode);
  }

  /** One stream that writes to the same path on every copy. */
  async createWriteStream(relPath: string): Promise<Writable> {
    const outs = await Promise.all(this.copies.map((c) => c.volume.createWriteStream(relPath)));
    return outs.length === 1 ? outs[0] : teeWritable(outs);
  }

  /** Makes everything written so far durable on every copy (the LTFS index of each tape). */
  async sync(): Promise<void> {
    await Promise.all(this.copies.map((c) => c.volume.sync()));
  }

  /** Where the object lies on each copy; `offset`/`length` are inside it (a bundle member). */
  async positions(relPath: string): Promise<Array<(offset: number, length: number) => TapeLocation>> {
    return Promise.all(
      this.copies.map(async (c) => {
        const pos = await c.volume.position(relPath);
        return (offset: number, length: number): TapeLocation => ({
          barcode: c.barcode,
          partition: pos.partition,
          startBlock: pos.startBlock,
          containerPath: relPath,
          offset,
          length,
          segment: 0,
          fileOffset: 0,
          copy: c.copy,
          segmentSha256: Buffer.alloc(0),
          dataMap: [],
        });
      }),
    );
  }

  /** One location per copy for a byte range of an object. */
  async locations(relPath: string, offset: number, length: number): Promise<TapeLocation[]> {
    return (await this.positions(relPath)).map((at) => at(offset, length));
  }

  /** The copies whose tape has reached its early-warning zone: they continue on a next tape. */
  async atEarlyWarning(): Promise<CopyVolume[]> {
    const ew = await Promise.all(this.copies.map(async (c) => (await c.volume.space()).earlyWarning));
    return this.copies.filter((_, i) => ew[i]);
  }

  /** Copy `next.copy` goes on on another tape (the old one is unmounted by the caller). */
  replace(next: CopyVolume): void {
    const at = this.copies.findIndex((c) => c.copy === next.copy);
    if (at < 0) throw new Error(`no copy ${next.copy} to replace`);
    this.copies[at] = next;
  }

  /** Unmounts every copy (each writes its index); the first failure is thrown after all were tried. */
  async unmount(): Promise<void> {
    const results = await Promise.allSettled(this.copies.map((c) => c.volume.unmount()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * A Writable that hands every chunk to all `outs` and calls back once all of them took it, so the
 * slowest drive sets the pace (backpressure) and no copy runs ahead of the others. An error on any
 * output fails the whole stream: a copy that could not be written must not be reported.
 */
export function teeWritable(outs: Writable[]): Writable {
  const tee = new Writable({
    highWaterMark: 4 * 1024 * 1024,
    write(chunk: Buffer, _enc, cb) {
      let left = outs.length;
      let failed = false;
      for (const out of outs) {
        out.write(chunk, (err) => {
          if (failed) return;
          if (err) {
            failed = true;
            cb(err);
            return;
          }
          if (--left === 0) cb();
        });
      }
    },
    final(cb) {
      for (const out of outs) out.end();
      Promise.all(outs.map((o) => finished(o))).then(() => cb(), cb);
    },
    destroy(err, cb) {
      for (const out of outs) if (!out.destroyed) out.destroy(err ?? undefined);
      cb(err);
    },
  });
  for (const out of outs) out.on('error', (err) => tee.destroy(err));
  return tee;
}
