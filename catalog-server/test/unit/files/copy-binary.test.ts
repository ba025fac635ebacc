import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CopyBinaryWriter, uuidBytes } from '../../../src/modules/files/copy-binary.js';

/** Reads a payload back field by field (the reverse of the writer, for these tests only). */
function fields(payload: Buffer): Array<Buffer | null> {
  assert.equal(payload.subarray(0, 11).toString('latin1'), 'PGCOPY\n\xff\r\n\0');
  assert.equal(payload.readInt32BE(11), 0);
  assert.equal(payload.readInt32BE(15), 0);
  let at = 19;
  const out: Array<Buffer | null> = [];
  for (;;) {
    const count = payload.readInt16BE(at);
    at += 2;
    if (count === -1) break;
    for (let i = 0; i < count; i++) {
      const length = payload.readInt32BE(at);
      at += 4;
      if (length === -1) out.push(null);
      else {
        out.push(payload.subarray(at, at + length));
        at += length;
      }
    }
  }
  assert.equal(at, payload.length, 'nothing after the trailer');
  return out;
}

const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

describe('CopyBinaryWriter', () => {
  it('writes header, rows with their field count, and the trailer', () => {
    const w = new CopyBinaryWriter(2);
    w.row().int4(7).text('a');
    w.row().int4(-1).null();
    const payload = w.finish();
    assert.equal(payload.readInt16BE(19), 2);
    const f = fields(payload);
    assert.equal(f.length, 4);
    assert.equal(f[0]!.readInt32BE(0), 7);
    assert.equal(f[1]!.toString(), 'a');
    assert.equal(f[2]!.readInt32BE(0), -1);
    assert.equal(f[3], null);
  });

  it('encodes int8 as big-endian two’s complement for every safe integer', () => {
    const values = [0, 1, -1, 2 ** 32, 2 ** 32 - 1, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 123_456_789_012];
    const w = new CopyBinaryWriter(values.length + 1);
    w.row();
    for (const v of values) w.int8(v);
    w.int8(null);
    const f = fields(w.finish());
    values.forEach((v, i) => assert.equal(f[i]!.readBigInt64BE(0), BigInt(v), `int8 ${v}`));
    assert.equal(f[values.length], null);
  });

  it('encodes timestamps as microseconds since 2000, before and after it and at the extremes', () => {
    const times = [PG_EPOCH_MS, 0, Date.UTC(2024, 5, 1, 12, 0, 0, 123), -210_866_760_000_000, 8_640_000_000_000_000];
    const w = new CopyBinaryWriter(times.length + 1);
    w.row();
    for (const t of times) w.timestampMs(t);
    w.timestampMs(null);
    const f = fields(w.finish());
    times.forEach((t, i) => assert.equal(f[i]!.readBigInt64BE(0), (BigInt(t) - BigInt(PG_EPOCH_MS)) * 1000n, `time ${t}`));
    assert.equal(f[times.length], null);
  });

  it('writes text as UTF-8 with its byte length, bytes as they are, and booleans as one byte', () => {
    const sha = Buffer.alloc(32, 0xab);
    const w = new CopyBinaryWriter(5);
    w.row().text('Zoë 北京 \t\\N\n').text('').bytes(sha).bool(true).bool(false);
    const f = fields(w.finish());
    assert.equal(f[0]!.toString('utf8'), 'Zoë 北京 \t\\N\n');
    assert.equal(f[1]!.length, 0, 'an empty string is not NULL');
    assert.deepEqual(f[2], sha);
    assert.deepEqual([...f[3]!, ...f[4]!], [1, 0]);
  });

  it('grows past its first buffer without losing earlier rows', () => {
    const w = new CopyBinaryWriter(2, 64);
    const names = Array.from({ length: 500 }, (_, i) => `name-${i}-${'x'.repeat(i % 40)}`);
    for (const [i, name] of names.entries()) w.row().int4(i).text(name);
    const f = fields(w.finish());
    assert.equal(f.length, 1000);
    names.forEach((name, i) => {
      assert.equal(f[2 * i]!.readInt32BE(0), i);
      assert.equal(f[2 * i + 1]!.toString(), name);
    });
  });

  it('turns a uuid into its 16 bytes', () => {
    assert.equal(uuidBytes('0f4b6c1e-8d2a-4e11-9b3c-5a6d7e8f9012').toString('hex'), '0f4b6c1e8d2a4e119b3c5a6d7e8f9012');
  });
});
