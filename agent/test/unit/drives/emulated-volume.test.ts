import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { BLOCK_SIZE, TapeError, type MountedVolume } from '../../../src/drives/drive.js';
import { open, pattern, readAll, readJson, rejectsWith, tempDir, writeAll } from './emulated-fixture.js';

describe('EmulatedVolume', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  /** A formatted, mounted FER001L9 with 16 blocks of capacity and a 4-block early-warning zone. */
  async function mounted(overrides = {}): Promise<{ volume: MountedVolume; reopen: () => Promise<MountedVolume> }> {
    const { library, drives } = await open(dir, overrides);
    await library.load(1, 0);
    await drives[0].format({ barcode: 'FER001L9', force: false });
    const volume = await drives[0].mount();
    return { volume, reopen: () => drives[0].mount() };
  }

  it('writes real files under the volume root, creating parents', async () => {
    const { volume } = await mounted();
    const data = pattern(200_000);
    await writeAll(await volume.createWriteStream('/ferrite/data/job1/a b/ü.bin'), data);
    assert.equal(volume.root, path.join(dir, 'cartridges', 'FER001L9', 'volume'));
    assert.deepEqual(await readFile(path.join(volume.root, 'ferrite/data/job1/a b/ü.bin')), data);
    await volume.unmount();
  });

  it('places files on partition b in write order and advances by whole blocks', async () => {
    const { volume } = await mounted();
    await writeAll(await volume.createWriteStream('one'), pattern(BLOCK_SIZE * 2 + 1));
    await writeAll(await volume.createWriteStream('empty'), Buffer.alloc(0));
    await writeAll(await volume.createWriteStream('exact'), pattern(BLOCK_SIZE));
    await writeAll(await volume.createWriteStream('small'), pattern(10));
    assert.deepEqual(await volume.position('one'), { partition: 'b', startBlock: 0, size: BLOCK_SIZE * 2 + 1 });
    assert.deepEqual(await volume.position('empty'), { partition: 'b', startBlock: 3, size: 0 });
    assert.deepEqual(await volume.position('exact'), { partition: 'b', startBlock: 4, size: BLOCK_SIZE });
    assert.deepEqual(await volume.position('/small'), { partition: 'b', startBlock: 5, size: 10 });
    const space = await volume.space();
    assert.equal(space.usedBytes, 6 * BLOCK_SIZE);
    assert.equal(space.totalBytes, 16 * BLOCK_SIZE);
    assert.equal(space.availableBytes, 10 * BLOCK_SIZE);
    await rejectsWith(volume.position('nope'), 'FILE_NOT_FOUND');
    await volume.unmount();
  });

  it('assigns the start block when the file is created', async () => {
    const { volume } = await mounted();
    const first = await volume.createWriteStream('first');
    const second = await volume.createWriteStream('second');
    await writeAll(second, pattern(100));
    await writeAll(first, pattern(100));
    assert.equal((await volume.position('first')).startBlock, 0);
    assert.equal((await volume.position('second')).startBlock, 0);
    assert.equal((await volume.space()).usedBytes, 2 * BLOCK_SIZE, 'both files are accounted for');
    await volume.unmount();
  });

  it('replaces a file at a new position; the old blocks stay used', async () => {
    const { volume } = await mounted();
    await writeAll(await volume.createWriteStream('f'), pattern(10, 1));
    await writeAll(await volume.createWriteStream('f'), pattern(20, 2));
    assert.deepEqual(await volume.position('f'), { partition: 'b', startBlock: 1, size: 20 });
    assert.deepEqual(await readAll(volume.createReadStream('f')), pattern(20, 2));
    assert.equal((await volume.space()).usedBytes, 2 * BLOCK_SIZE);
    await volume.unmount();
  });

  it('reads whole files and inclusive ranges', async () => {
    const { volume } = await mounted();
    const data = pattern(3 * BLOCK_SIZE + 123);
    await writeAll(await volume.createWriteStream('big.bin'), data);
    assert.deepEqual(await readAll(volume.createReadStream('big.bin')), data);
    assert.deepEqual(await readAll(volume.createReadStream('big.bin', { start: 5, end: 9 })), data.subarray(5, 10));
    const tail = { start: 2 * BLOCK_SIZE + 7, end: data.length - 1 };
    assert.deepEqual(await readAll(volume.createReadStream('big.bin', tail)), data.subarray(tail.start));
    await writeAll(await volume.createWriteStream('empty'), Buffer.alloc(0));
    assert.equal((await readAll(volume.createReadStream('empty'))).length, 0);
    await assert.rejects(readAll(volume.createReadStream('missing')), (err) => err instanceof TapeError && err.code === 'FILE_NOT_FOUND');
    await volume.unmount();
  });

  it('answers exists() for files and directories and lists recursively', async () => {
    const { volume } = await mounted({ capacityBytes: 64 * BLOCK_SIZE });
    for (const p of ['FERRITE.json', 'ferrite/manifests/j-1.jsonl', 'ferrite/data/j/x/y.txt', 'ferrite/data/j/bundles/000001.tar']) {
      await writeAll(await volume.createWriteStream(p), Buffer.from(p));
    }
    assert.equal(await volume.exists('FERRITE.json'), true);
    assert.equal(await volume.exists('/ferrite/data'), true);
    assert.equal(await volume.exists('ferrite/dat'), false);
    assert.equal(await volume.exists('nothing.txt'), false);
    assert.deepEqual(await volume.list('ferrite/data'), ['ferrite/data/j/bundles/000001.tar', 'ferrite/data/j/x/y.txt']);
    assert.deepEqual(await volume.list('/'), ['FERRITE.json', 'ferrite/data/j/bundles/000001.tar', 'ferrite/data/j/x/y.txt', 'ferrite/manifests/j-1.jsonl']);
    assert.deepEqual(await volume.list('nowhere'), []);
    await assert.rejects(volume.createWriteStream('../escape'), RangeError);
    await volume.unmount();
  });

  it('fails a write past capacity with END_OF_MEDIUM and removes the partial file', async () => {
    const { volume } = await mounted();
    await writeAll(await volume.createWriteStream('first'), pattern(10 * BLOCK_SIZE));
    const stream = await volume.createWriteStream('too-big');
    const err = await writeAll(stream, pattern(7 * BLOCK_SIZE)).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof TapeError && err.code === 'END_OF_MEDIUM', String(err));
    assert.equal(await volume.exists('too-big'), false);
    await assert.rejects(stat(path.join(volume.root, 'too-big')), { code: 'ENOENT' });
    assert.deepEqual(await volume.list(''), ['first']);
    const space = await volume.space();
    assert.ok(space.usedBytes <= space.totalBytes);
    assert.equal(space.earlyWarning, true);
    await volume.unmount();
  });

  it('accepts a file that exactly fills the tape, then refuses the next one', async () => {
    const { volume } = await mounted();
    const space = await volume.space();
    await writeAll(await volume.createWriteStream('fill'), pattern(space.availableBytes));
    assert.equal((await volume.space()).availableBytes, 0);
    await rejectsWith(volume.createWriteStream('more'), 'END_OF_MEDIUM');
    await volume.unmount();
  });

  it('raises early warning once used passes capacity minus the warning zone', async () => {
    const { volume } = await mounted();
    await writeAll(await volume.createWriteStream('a'), pattern(12 * BLOCK_SIZE));
    assert.equal((await volume.space()).earlyWarning, false, 'exactly at the boundary');
    await writeAll(await volume.createWriteStream('b'), pattern(1));
    assert.equal((await volume.space()).earlyWarning, true);
    await volume.unmount();
  });

  it('defaults the early-warning zone to 2% of capacity, at least 4 blocks', async () => {
    const { volume } = await mounted({ capacityBytes: 100 * BLOCK_SIZE, earlyWarningBytes: undefined });
    await writeAll(await volume.createWriteStream('a'), pattern(96 * BLOCK_SIZE));
    assert.equal((await volume.space()).earlyWarning, false);
    await writeAll(await volume.createWriteStream('b'), pattern(1));
    assert.equal((await volume.space()).earlyWarning, true);
    await volume.unmount();
  });

  it('keeps a file whose writer aborted, with the bytes that reached it', async () => {
    const { volume } = await mounted();
    const stream = await volume.createWriteStream('partial');
    const source = Readable.from(
      (async function* () {
        yield pattern(1000);
        throw new Error('source failed');
      })(),
    );
    await assert.rejects(pipeline(source, stream), /source failed/);
    if (!stream.closed) await new Promise((resolve) => stream.once('close', resolve));
    assert.deepEqual(await volume.position('partial'), { partition: 'b', startBlock: 0, size: 1000 });
    assert.equal((await volume.space()).usedBytes, BLOCK_SIZE);
    await volume.unmount();
  });

  it('persists the index on sync() and unmount(), and a new mount sees the same files', async () => {
    const { volume, reopen } = await mounted();
    const indexPath = path.join(dir, 'cartridges/FER001L9/index.json');
    const formatted = await readJson(indexPath);
    await writeAll(await volume.createWriteStream('x/1'), pattern(100));
    await volume.sync();
    const afterSync = await readJson(indexPath);
    assert.equal(afterSync.generation, formatted.generation + 1);
    assert.deepEqual(afterSync.files['x/1'], { partition: 'b', startBlock: 0, size: 100 });
    await writeAll(await volume.createWriteStream('x/2'), pattern(200));
    await volume.unmount();
    const afterUnmount = await readJson(indexPath);
    assert.equal(afterUnmount.generation, afterSync.generation + 1);
    const again = await reopen();
    assert.deepEqual(await again.list(''), ['x/1', 'x/2']);
    assert.deepEqual(await again.position('x/2'), { partition: 'b', startBlock: 1, size: 200 });
    assert.deepEqual(await readAll(again.createReadStream('x/2')), pattern(200));
    await writeAll(await again.createWriteStream('x/3'), pattern(1));
    assert.equal((await again.position('x/3')).startBlock, 2, 'appends after what the index recorded');
    await again.unmount();
  });

  it('refuses to unmount while a file is still being written', async () => {
    const { volume } = await mounted();
    const stream = await volume.createWriteStream('open');
    stream.write(pattern(10));
    await rejectsWith(volume.unmount(), 'DRIVE_BUSY');
    await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await volume.unmount();
    await rejectsWith(volume.createWriteStream('late'), 'NOT_MOUNTED');
  });
});
