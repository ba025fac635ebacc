import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { BLOCK_SIZE } from '../../../src/drives/drive.js';
import { ltoGeneration } from '../../../src/drives/generations.js';
import { DriveTiming, paceDelayMs } from '../../../src/drives/emulated/timing.js';
import { VolumeFileStream } from '../../../src/drives/emulated/volume-file-stream.js';
import { MiB, open, pattern, readAll, tempDir, writeAll } from './emulated-fixture.js';

async function elapsedMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

describe('emulated drive timing', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  it('takes the generation load and unload times, scaled', async () => {
    // LTO-9: load 17 s, unload 30 s; at 1/200 that is 85 ms and 150 ms.
    const { library } = await open(dir, { timeScale: 1 / 200 });
    const load = await elapsedMs(() => library.load(1, 0));
    const unload = await elapsedMs(() => library.unload(0));
    assert.ok(load >= 80 && load < 3000, `load took ${load} ms`);
    assert.ok(unload >= 145 && unload < 3000, `unload took ${unload} ms`);
  });

  it('adds no delay with the default timeScale', async () => {
    const { library } = await open(dir);
    const ms = await elapsedMs(async () => {
      await library.load(1, 0);
      await library.unload(0);
    });
    // At real timings this would take 47 s; state-file fsyncs alone stay far below the bound.
    assert.ok(ms < 5000, `load + unload took ${ms} ms`);
  });

  it('locates before reading a file far from the head, not when reading on', async () => {
    // 30-block tapes: the average locate (45 s) covers 10 blocks; at 1/200 that is 225 ms.
    const { library, drives } = await open(dir, { timeScale: 1 / 200, capacityBytes: 30 * BLOCK_SIZE });
    await library.load(1, 0);
    await drives[0].format({ barcode: 'FER001L9', force: false });
    const volume = await drives[0].mount();
    await writeAll(await volume.createWriteStream('near'), pattern(100));
    await writeAll(await volume.createWriteStream('filler'), pattern(9 * BLOCK_SIZE));
    await writeAll(await volume.createWriteStream('far'), pattern(100));
    const back = await elapsedMs(() => readAll(volume.createReadStream('near')));
    assert.ok(back >= 200, `locating back 11 blocks took ${back} ms`);
    // Reading on costs no locate: proven without a clock by the locateSeconds test below (an upper
    // bound on elapsed time here failed on a loaded CI machine).
    assert.deepEqual(await readAll(volume.createReadStream('filler')), pattern(9 * BLOCK_SIZE));
    await volume.unmount();
  });

  it('paces a write stream to the drive rate', async () => {
    const file = path.join(dir, 'paced.bin');
    const fd = openSync(file, 'w');
    let finishedWith = -1;
    const stream = new VolumeFileStream({
      fd,
      limitBytes: 10 * MiB,
      bytesPerSecond: 10 * MiB,
      onFinish: (bytes) => (finishedWith = bytes),
      onClose: async () => undefined,
    });
    const ms = await elapsedMs(() => writeAll(stream, pattern(2 * MiB)));
    assert.ok(ms >= 180, `2 MiB at 10 MiB/s took ${ms} ms`);
    assert.equal(finishedWith, 2 * MiB);
    assert.equal((await stat(file)).size, 2 * MiB);
  });

  it('computes the pacing delay from bytes, start and rate', () => {
    const now = performance.now();
    assert.equal(paceDelayMs(1000, now, 0), 0, 'unpaced');
    const wait = paceDelayMs(1_000_000, now, 1_000_000);
    assert.ok(wait > 900 && wait <= 1000, `waits ${wait} ms`);
    assert.equal(paceDelayMs(1, now - 5000, 1_000_000), 0, 'behind schedule: no wait');
  });

  it('estimates locate time from the distance, up to twice the average', () => {
    const timing = new DriveTiming(ltoGeneration(9), 1);
    assert.equal(timing.locateSeconds(10, 11, 3000), 0, 'reading on costs nothing');
    assert.equal(timing.locateSeconds(0, 1000, 3000), 45, 'a third of the tape is the average locate');
    assert.equal(timing.locateSeconds(0, 3000, 3000), 90);
    assert.ok(timing.locateSeconds(0, 100, 3000) < 5);
  });
});
