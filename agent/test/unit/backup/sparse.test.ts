import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataMapOf, mayBeSparse } from '../../../src/backup/sparse-map.js';
import { scatter } from '../../../src/restore/sparse-writer.js';

test('only files with fewer blocks than bytes are probed', () => {
  assert.equal(mayBeSparse(1 << 30, 24), true);
  assert.equal(mayBeSparse(4096, 8), false);
  assert.equal(mayBeSparse(10, 8), false, 'a small file rounds up to a whole block');
  assert.equal(mayBeSparse(10, undefined), false);
  assert.equal(mayBeSparse(0, 0), false);
});

test("a probe's answer: extents of a sparse file; none when it has no hole or could not be probed", () => {
  assert.deepEqual(dataMapOf('0:4096,1048576:8192', 1 << 30), [
    { offset: 0, length: 4096 },
    { offset: 1048576, length: 8192 },
  ]);
  assert.equal(dataMapOf('0:8192', 8192), null, 'all data: not sparse');
  assert.equal(dataMapOf('!13', 8192), null);
  // All hole: its last byte stands for it, so the object is never empty and the size comes back.
  assert.deepEqual(dataMapOf('', 1 << 20), [{ offset: (1 << 20) - 1, length: 1 }]);
});

test('packed bytes go back to their places, across extents and from any packed offset', () => {
  const map = [
    { offset: 100, length: 10 },
    { offset: 1000, length: 5 },
    { offset: 5000, length: 20 },
  ];
  assert.deepEqual(scatter(map, 0, 35), [
    { fileOffset: 100, from: 0, length: 10 },
    { fileOffset: 1000, from: 10, length: 5 },
    { fileOffset: 5000, from: 15, length: 20 },
  ]);
  // A chunk (or a segment on a next tape) starting inside the second extent.
  assert.deepEqual(scatter(map, 12, 10), [
    { fileOffset: 1002, from: 0, length: 3 },
    { fileOffset: 5000, from: 3, length: 7 },
  ]);
  assert.deepEqual(scatter(map, 34, 1), [{ fileOffset: 5019, from: 0, length: 1 }]);
  assert.throws(() => scatter(map, 30, 10), /5 bytes past the data extents/);
});
