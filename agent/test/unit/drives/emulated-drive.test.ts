import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BLOCK_SIZE } from '../../../src/drives/drive.js';
import { open, readJson, rejectsWith, tempDir, writeAll } from './emulated-fixture.js';

describe('EmulatedDrive', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  const cartridgeJson = (barcode: string) => readJson(path.join(dir, 'cartridges', barcode, 'cartridge.json'));

  it('reports the loaded cartridge, or null', async () => {
    const { library, drives } = await open(dir);
    assert.equal(await drives[0].loaded(), null);
    await library.load(1, 0);
    assert.deepEqual(await drives[0].loaded(), {
      barcode: 'FER001L9',
      generation: 9,
      capacityBytes: 16 * BLOCK_SIZE,
      usedBytes: 0,
      writeProtected: false,
      formatted: false,
      volumeUuid: null,
      dirty: false,
      cleaning: false,
      worm: false,
    });
  });

  it('uses the native capacity of the media generation when no capacity is configured', async () => {
    const { library, drives } = await open(dir, { capacityBytes: undefined, barcodes: ['FER001L8'] });
    await library.load(1, 0);
    assert.equal((await drives[0].loaded())?.capacityBytes, 12e12);
    assert.equal((await drives[0].loaded())?.generation, 8);
  });

  it('formats a blank cartridge with a new volume UUID', async () => {
    const { library, drives } = await open(dir);
    await library.load(1, 0);
    const { volumeUuid } = await drives[0].format({ barcode: 'FER001L9', force: false });
    assert.match(volumeUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const info = await drives[0].loaded();
    assert.equal(info?.formatted, true);
    assert.equal(info?.volumeUuid, volumeUuid);
    assert.equal(info?.usedBytes, 0);
    const state = await cartridgeJson('FER001L9');
    assert.equal(state.formatted, true);
    assert.equal(state.dirty, false);
    assert.equal(state.volumeName, 'FER001L9');
  });

  it('refuses to format: empty drive, mounted, write-protected, cleaning, non-empty without force', async () => {
    const { library, drives } = await open(dir);
    await rejectsWith(drives[0].format({ barcode: 'X', force: true }), 'NO_TAPE');

    await library.setWriteProtected('FER002L9', true);
    await library.load(2, 1);
    await rejectsWith(drives[1].format({ barcode: 'FER002L9', force: true }), 'WRITE_PROTECTED');
    assert.equal((await drives[1].loaded())?.formatted, false);

    await library.load(1, 0);
    await drives[0].format({ barcode: 'FER001L9', force: false });
    const volume = await drives[0].mount();
    await rejectsWith(drives[0].format({ barcode: 'FER001L9', force: true }), 'ALREADY_MOUNTED');
    await writeAll(await volume.createWriteStream('keep.txt'), Buffer.from('keep'));
    await volume.unmount();
    const uuid = (await drives[0].loaded())?.volumeUuid;
    await rejectsWith(drives[0].format({ barcode: 'FER001L9', force: false }), 'VOLUME_NOT_EMPTY');
    assert.equal((await drives[0].loaded())?.volumeUuid, uuid, 'a refused format changes nothing');
    assert.deepEqual(await readdir(path.join(dir, 'cartridges/FER001L9/volume')), ['keep.txt']);

    await library.unload(1);
    await library.load(4, 1);
    await rejectsWith(drives[1].format({ barcode: 'CLN001L1', force: true }), 'CLEANING_CARTRIDGE');
    await rejectsWith(drives[1].mount(), 'CLEANING_CARTRIDGE');
    await rejectsWith(drives[1].check(), 'CLEANING_CARTRIDGE');
  });

  it('reformats with force: wipes files, new UUID, blocks reset', async () => {
    const { library, drives } = await open(dir);
    await library.load(1, 0);
    const first = await drives[0].format({ barcode: 'FER001L9', force: false });
    const volume = await drives[0].mount();
    await writeAll(await volume.createWriteStream('a/b.bin'), Buffer.alloc(BLOCK_SIZE + 1));
    await volume.unmount();
    assert.equal((await drives[0].loaded())?.usedBytes, 2 * BLOCK_SIZE);
    const second = await drives[0].format({ barcode: 'FER001L9', force: true });
    assert.notEqual(second.volumeUuid, first.volumeUuid);
    assert.equal((await drives[0].loaded())?.usedBytes, 0);
    assert.deepEqual(await readdir(path.join(dir, 'cartridges/FER001L9/volume')), []);
    const again = await drives[0].mount();
    assert.deepEqual(await again.list(''), []);
    await again.unmount();
  });

  it('refuses to mount: empty drive, unformatted, already mounted', async () => {
    const { library, drives } = await open(dir);
    await rejectsWith(drives[0].mount(), 'NO_TAPE');
    await library.load(1, 0);
    await rejectsWith(drives[0].mount(), 'NOT_FORMATTED');
    await drives[0].format({ barcode: 'FER001L9', force: false });
    const volume = await drives[0].mount();
    await rejectsWith(drives[0].mount({ readOnly: true }), 'ALREADY_MOUNTED');
    await rejectsWith(drives[0].check(), 'ALREADY_MOUNTED');
    await volume.unmount();
    await rejectsWith(volume.unmount(), 'NOT_MOUNTED');
    await rejectsWith(volume.space(), 'NOT_MOUNTED');
  });

  it('marks the cartridge dirty on disk while mounted read-write and clean after unmount', async () => {
    const { library, drives } = await open(dir);
    await library.load(1, 0);
    await drives[0].format({ barcode: 'FER001L9', force: false });
    const volume = await drives[0].mount();
    assert.equal((await cartridgeJson('FER001L9')).dirty, true);
    assert.equal((await drives[0].loaded())?.dirty, true);
    await volume.unmount();
    assert.equal((await cartridgeJson('FER001L9')).dirty, false);
    const ro = await drives[0].mount({ readOnly: true });
    assert.equal(ro.readOnly, true);
    assert.equal((await cartridgeJson('FER001L9')).dirty, false, 'a read-only mount leaves the cartridge clean');
    await ro.unmount();
  });

  it('mounts a write-protected cartridge read-only and refuses writes on it', async () => {
    const { library, drives } = await open(dir);
    await library.load(1, 0);
    await drives[0].format({ barcode: 'FER001L9', force: false });
    const rw = await drives[0].mount();
    await writeAll(await rw.createWriteStream('data.txt'), Buffer.from('hello'));
    await rw.unmount();
    await library.unload(0);
    await library.setWriteProtected('FER001L9', true);
    await library.load(1, 0);

    const ro = await drives[0].mount({ readOnly: true });
    assert.equal(ro.readOnly, true);
    assert.deepEqual(await ro.list(''), ['data.txt']);
    await rejectsWith(ro.createWriteStream('new.txt'), 'WRITE_PROTECTED');
    await ro.unmount();

    const asked = await drives[0].mount({ readOnly: false });
    assert.equal(asked.readOnly, true, 'LTFS mounts a protected cartridge read-only');
    await rejectsWith(asked.createWriteStream('new.txt'), 'WRITE_PROTECTED');
    await asked.unmount();
    assert.equal((await cartridgeJson('FER001L9')).dirty, false);
  });

  it('refuses writes on a read-only mount of a writable cartridge', async () => {
    const { library, drives } = await open(dir);
    await library.load(1, 0);
    await drives[0].format({ barcode: 'FER001L9', force: false });
    const ro = await drives[0].mount({ readOnly: true });
    await rejectsWith(ro.createWriteStream('x'), 'WRITE_PROTECTED');
    await ro.unmount();
  });

  it('refuses to mount an unreadable generation and mounts a readable older one read-only', async () => {
    const { library, drives } = await open(dir, { generation: 8, barcodes: ['OLD001L6', 'OLD002L7'] });
    await library.load(1, 0);
    await rejectsWith(drives[0].format({ barcode: 'OLD001L6', force: false }), 'MEDIUM_ERROR');
    await library.load(2, 1);
    await drives[1].format({ barcode: 'OLD002L7', force: false });
    const volume = await drives[1].mount();
    assert.equal(volume.readOnly, false, 'LTO-8 writes LTO-7');
    await volume.unmount();
  });

  it('check() on a clean volume repairs nothing', async () => {
    const { library, drives } = await open(dir);
    await rejectsWith(drives[0].check(), 'NO_TAPE');
    await library.load(1, 0);
    await rejectsWith(drives[0].check(), 'NOT_FORMATTED');
    await drives[0].format({ barcode: 'FER001L9', force: false });
    assert.deepEqual(await drives[0].check(), { repaired: false, lostFiles: [] });
  });

  it('holds the drive during an operation so a second one is refused', async () => {
    const { library, drives } = await open(dir);
    await library.load(1, 0);
    const format = drives[0].format({ barcode: 'FER001L9', force: false });
    await rejectsWith(drives[0].mount(), 'DRIVE_BUSY');
    await rejectsWith(library.unload(0), 'DRIVE_BUSY');
    await format;
    const volume = await drives[0].mount();
    await volume.unmount();
  });
});
