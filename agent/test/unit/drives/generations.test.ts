import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canRead, canWrite, generationFromBarcode, isCleaningBarcode, LTO_GENERATIONS, ltoGeneration } from '../../../src/drives/generations.js';

describe('LTO generations table', () => {
  it('holds generations 5..10 with the published native capacities and rates', () => {
    assert.deepEqual(
      LTO_GENERATIONS.map((g) => [g.generation, g.nativeCapacityBytes / 1e12, g.nativeRateMBps]),
      [
        [5, 1.5, 140],
        [6, 2.5, 160],
        [7, 6, 300],
        [8, 12, 360],
        [9, 18, 400],
        [10, 30, 400],
      ],
    );
  });

  it('gives LTO-9 the design timings and speed-matching floor', () => {
    const g = ltoGeneration(9);
    assert.equal(g.loadSeconds, 17);
    assert.equal(g.unloadSeconds, 30);
    assert.equal(g.averageLocateSeconds, 45);
    assert.equal(g.speedMatchingFloorMBps, 177);
  });

  it('keeps every speed-matching floor below the native rate', () => {
    for (const g of LTO_GENERATIONS) assert.ok(g.speedMatchingFloorMBps < g.nativeRateMBps, `LTO-${g.generation}`);
  });

  it('rejects unknown generations', () => {
    assert.throws(() => ltoGeneration(4), RangeError);
    assert.throws(() => ltoGeneration(11), RangeError);
  });
});

describe('barcodes', () => {
  it('reads the generation from the media suffix', () => {
    assert.equal(generationFromBarcode('FER001L9'), 9);
    assert.equal(generationFromBarcode('FER001L5'), 5);
    assert.equal(generationFromBarcode('FER001LA'), 10);
    assert.equal(generationFromBarcode('ABC123LZ'), 9); // LTO-9 WORM
    assert.equal(generationFromBarcode('CLN001L1'), 1);
    assert.equal(generationFromBarcode('FER001'), null);
    assert.equal(generationFromBarcode('X'), null);
  });

  it('recognises cleaning cartridges by their CLN prefix', () => {
    assert.equal(isCleaningBarcode('CLN001L1'), true);
    assert.equal(isCleaningBarcode('CLN002CU'), true);
    assert.equal(isCleaningBarcode('FER001L9'), false);
  });
});

describe('drive/media compatibility', () => {
  it('lets LTO-9 read and write LTO-8 and LTO-9 only', () => {
    assert.equal(canWrite(9, 9), true);
    assert.equal(canWrite(9, 8), true);
    assert.equal(canRead(9, 7), false);
  });
  it('lets older drives read two generations back but write one', () => {
    assert.equal(canRead(7, 5), true);
    assert.equal(canWrite(7, 5), false);
  });
  it('keeps LTO-10 to LTO-10 media', () => {
    assert.equal(canRead(10, 9), false);
    assert.equal(canWrite(10, 10), true);
  });
});
