// The tee under "copy while writing": every output gets every byte in order, the slowest output sets
// the pace, and a failure of any output fails the whole write (a copy not written is never reported).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { teeWritable } from '../../../src/backup/copy-volumes.js';

class Sink extends Writable {
  chunks: Buffer[] = [];
  constructor(private readonly failAfter = Infinity) {
    super({ highWaterMark: 1 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.chunks.length >= this.failAfter) return cb(Object.assign(new Error('end of medium'), { code: 'END_OF_MEDIUM' }));
    this.chunks.push(chunk);
    setImmediate(cb);
  }
}

const data = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000 + i, i));

test('every output receives the same bytes, and the tee finishes only when all have', async () => {
  const outs = [new Sink(), new Sink(), new Sink()];
  await pipeline(Readable.from(data), teeWritable(outs));
  for (const o of outs) {
    assert.ok(Buffer.concat(o.chunks).equals(Buffer.concat(data)));
    assert.equal(o.writableFinished, true);
  }
});

test('a failing output fails the tee with its error', async () => {
  const outs = [new Sink(), new Sink(10)];
  await assert.rejects(pipeline(Readable.from(data), teeWritable(outs)), /end of medium/);
  assert.equal(outs[0].destroyed, true, 'the other copies are stopped too');
});
