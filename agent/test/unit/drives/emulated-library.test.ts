import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { open, rejectsWith, tempDir } from './emulated-fixture.js';

describe('EmulatedLibrary', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  const libraryJson = () => readFile(path.join(dir, 'library.json'), 'utf8');

  it('seeds barcodes into slots 1..n of a new library', async () => {
    const { library, drives } = await open(dir);
    const status = await library.status();
    assert.deepEqual(
      status.slots.map((s) => [s.slot, s.barcode]),
      [
        [1, 'FER001L9'],
        [2, 'FER002L9'],
        [3, 'FER003L9'],
        [4, 'CLN001L1'],
        [5, null],
        [6, null],
      ],
    );
    assert.deepEqual(status.drives, [
      { driveIndex: 0, barcode: null, sourceSlot: null },
      { driveIndex: 1, barcode: null, sourceSlot: null },
    ]);
    assert.equal(drives.length, 2);
    assert.match(library.serial, /^EMU[0-9A-F]{8}$/);
  });

  it('gives drives their names and identity', async () => {
    const { library, drives } = await open(dir, { serialPrefix: 'TST' });
    assert.deepEqual(drives[1].identity, {
      name: 'drive1',
      serial: `${library.serial}D1`,
      vendor: 'FERRITE',
      model: 'EMULATED-LTO9',
      generation: 9,
      backend: 'emulated',
      libraryName: 'lib1',
      libraryDriveIndex: 1,
    });
    assert.ok(library.serial.startsWith('TST'));
  });

  it('keeps its state, serial included, for the next process and does not seed again', async () => {
    const first = await open(dir);
    await first.library.load(2, 1);
    await first.library.transfer(1, 6);
    const second = await open(dir, { barcodes: ['NEW001L9'] });
    assert.equal(second.library.serial, first.library.serial);
    const status = await second.library.status();
    assert.deepEqual(
      status.slots.map((s) => s.barcode),
      [null, null, 'FER003L9', 'CLN001L1', null, 'FER001L9'],
    );
    assert.deepEqual(status.drives[1], { driveIndex: 1, barcode: 'FER002L9', sourceSlot: 2 });
    assert.equal((await second.drives[1].loaded())?.barcode, 'FER002L9');
  });

  it('loads a cartridge and unloads it back to its source slot', async () => {
    const { library, drives } = await open(dir);
    await library.load(3, 0);
    assert.equal((await library.status()).slots[2].barcode, null);
    assert.equal((await drives[0].loaded())?.barcode, 'FER003L9');
    await library.unload(0);
    assert.equal((await library.status()).slots[2].barcode, 'FER003L9');
    assert.equal(await drives[0].loaded(), null);
  });

  it('unloads to a chosen slot', async () => {
    const { library } = await open(dir);
    await library.load(1, 0);
    await library.unload(0, 5);
    const slots = (await library.status()).slots.map((s) => s.barcode);
    assert.equal(slots[0], null);
    assert.equal(slots[4], 'FER001L9');
  });

  it('refuses bad loads and changes nothing', async () => {
    const { library } = await open(dir);
    await library.load(1, 0);
    const before = await libraryJson();
    await rejectsWith(library.load(5, 1), 'SLOT_EMPTY');
    await rejectsWith(library.load(2, 0), 'DRIVE_OCCUPIED');
    await rejectsWith(library.load(7, 1), 'UNKNOWN_SLOT');
    await rejectsWith(library.load(0, 1), 'UNKNOWN_SLOT');
    await rejectsWith(library.load(2, 2), 'UNKNOWN_DRIVE');
    await rejectsWith(library.load(2, -1), 'UNKNOWN_DRIVE');
    assert.equal(await libraryJson(), before);
  });

  it('refuses bad unloads and changes nothing', async () => {
    const { library, drives } = await open(dir);
    await library.load(1, 0);
    const before = await libraryJson();
    await rejectsWith(library.unload(1), 'NO_TAPE');
    await rejectsWith(library.unload(0, 2), 'SLOT_OCCUPIED');
    await rejectsWith(library.unload(0, 9), 'UNKNOWN_SLOT');
    await rejectsWith(library.unload(3), 'UNKNOWN_DRIVE');
    await drives[0].format({ barcode: 'FER001L9', force: false });
    const volume = await drives[0].mount();
    await rejectsWith(library.unload(0), 'DRIVE_BUSY');
    assert.equal((await library.status()).drives[0].barcode, 'FER001L9');
    await volume.unmount();
    await library.unload(0);
    assert.equal((await library.status()).slots[0].barcode, 'FER001L9');
    assert.notEqual(await libraryJson(), before);
  });

  it('transfers between slots and refuses bad transfers', async () => {
    const { library } = await open(dir);
    await library.transfer(2, 6);
    let slots = (await library.status()).slots.map((s) => s.barcode);
    assert.equal(slots[1], null);
    assert.equal(slots[5], 'FER002L9');
    const before = await libraryJson();
    await rejectsWith(library.transfer(2, 5), 'SLOT_EMPTY');
    await rejectsWith(library.transfer(1, 3), 'SLOT_OCCUPIED');
    await rejectsWith(library.transfer(1, 1), 'SLOT_OCCUPIED');
    await rejectsWith(library.transfer(1, 99), 'UNKNOWN_SLOT');
    assert.equal(await libraryJson(), before);
    slots = (await library.status()).slots.map((s) => s.barcode);
    assert.equal(slots[0], 'FER001L9');
  });

  it('keeps library.json consistent under concurrent moves on two drives', async () => {
    const { library } = await open(dir);
    for (let round = 0; round < 5; round++) {
      await Promise.all([library.load(1, 0), library.load(2, 1), library.transfer(3, 5)]);
      await Promise.all([library.unload(0), library.unload(1), library.transfer(5, 3)]);
    }
    const state = JSON.parse(await libraryJson());
    assert.deepEqual(state.slots, ['FER001L9', 'FER002L9', 'FER003L9', 'CLN001L1', null, null]);
    assert.deepEqual(state.drives, [
      { barcode: null, sourceSlot: null },
      { barcode: null, sourceSlot: null },
    ]);
  });

  it('lets two loads race for one drive and lets exactly one win', async () => {
    const { library } = await open(dir);
    const results = await Promise.allSettled([library.load(1, 0), library.load(2, 0)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const status = await library.status();
    const inSlots = status.slots.map((s) => s.barcode).filter((b) => b !== null);
    assert.equal(inSlots.length + (status.drives[0].barcode ? 1 : 0), 4, 'no cartridge lost or duplicated');
  });

  it('grows on reopen with more slots and refuses to drop cartridges when shrinking', async () => {
    await open(dir);
    const grown = await open(dir, { slots: 8 });
    assert.equal((await grown.library.status()).slots.length, 8);
    await assert.rejects(open(dir, { slots: 2 }), /cannot shrink/);
  });

  it('rejects invalid configuration', async () => {
    await assert.rejects(open(dir, { generation: 4 }), RangeError);
    await assert.rejects(open(path.join(dir, 'x'), { barcodes: ['BAD/NAME'] }), RangeError);
    await assert.rejects(open(path.join(dir, 'y'), { slots: 1, barcodes: ['A1', 'A2'] }), RangeError);
  });

  it('flips the write-protect tab only outside the drives', async () => {
    const { library, drives } = await open(dir);
    await library.setWriteProtected('FER002L9', true);
    await library.load(2, 0);
    assert.equal((await drives[0].loaded())?.writeProtected, true);
    await rejectsWith(library.setWriteProtected('FER002L9', false), 'DRIVE_OCCUPIED');
    await rejectsWith(library.setWriteProtected('NOPE01L9', true), 'UNKNOWN_BARCODE');
  });
});
