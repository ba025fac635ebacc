import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { DriveState } from '@ferrite/proto';
import { DriveSet } from '../../../src/drives/drive-set.js';
import { takeInventory } from '../../../src/session/inventory.js';
import { open, rejectsWith, tempDir } from './emulated-fixture.js';

describe('emulated TapeAlert flags, cleaning and WORM cartridges', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  it('an injected CLEAN_NOW makes the drive ask for cleaning until a cleaning cartridge runs through it', async () => {
    const { library, drives } = await open(dir);
    const set = new DriveSet(
      [library],
      drives.map((drive) => ({ drive, library })),
    );
    await drives[1].injectAlerts(['CLEAN_NOW', 'MEDIA']);
    assert.deepEqual(await drives[1].alerts(), ['CLEAN_NOW', 'MEDIA']);
    let inv = await takeInventory(set, new Set());
    assert.equal(inv.drives[1].state, DriveState.DRIVE_STATE_NEEDS_CLEANING);
    assert.deepEqual(inv.drives[1].alerts, ['CLEAN_NOW', 'MEDIA']);
    assert.equal(inv.drives[0].state, DriveState.DRIVE_STATE_EMPTY);

    // A data cartridge cannot clean; the alerts survive loads and unloads.
    await library.load(1, 1);
    await rejectsWith(drives[1].clean(), 'NOT_CLEANING_CARTRIDGE');
    await library.unload(1);
    assert.deepEqual(await drives[1].alerts(), ['CLEAN_NOW', 'MEDIA']);

    await library.load(4, 1); // CLN001L1
    await drives[1].clean();
    await library.unload(1);
    assert.deepEqual(await drives[1].alerts(), ['MEDIA'], 'cleaning clears only the cleaning flags');
    inv = await takeInventory(set, new Set());
    assert.equal(inv.drives[1].state, DriveState.DRIVE_STATE_EMPTY);
    assert.equal(inv.tapes.find((t) => t.barcode === 'CLN001L1')?.cleaning, true);
  });

  it('an empty drive cannot clean', async () => {
    const { drives } = await open(dir);
    await rejectsWith(drives[0].clean(), 'NO_TAPE');
  });

  it('a WORM cartridge is formatted once and never again, even with force', async () => {
    const { library, drives } = await open(dir, { barcodes: ['FER001LZ'] });
    await library.load(1, 0);
    const info = await drives[0].loaded();
    assert.equal(info?.worm, true);
    await drives[0].format({ barcode: 'FER001LZ', force: false });
    await rejectsWith(drives[0].format({ barcode: 'FER001LZ', force: true }), 'WORM_MEDIUM');
    const set = new DriveSet(
      [library],
      drives.map((drive) => ({ drive, library })),
    );
    const inv = await takeInventory(set, new Set());
    assert.equal(inv.tapes.find((t) => t.barcode === 'FER001LZ')?.worm, true);
    assert.equal(inv.tapes.find((t) => t.barcode === 'FER001LZ')?.detailsKnown, true);
  });

  it('a rollback is refused by the emulated drive (it keeps only the latest index)', async () => {
    const { library, drives } = await open(dir);
    await library.load(1, 0);
    await drives[0].format({ barcode: 'FER001L9', force: false });
    await rejectsWith(drives[0].check({ rollbackGeneration: 1 }), 'UNSUPPORTED');
  });
});

describe('emulated import/export slots', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  it('flags the last N slots as import/export, and cartridges move through them like any slot', async () => {
    const { library } = await open(dir, { importExportSlots: 2 });
    const status = await library.status();
    assert.deepEqual(
      status.slots.filter((s) => s.importExport).map((s) => s.slot),
      [5, 6],
    );
    await library.transfer(1, 6);
    assert.equal((await library.status()).slots.find((s) => s.slot === 6)?.barcode, 'FER001L9');
    await rejectsWith(library.transfer(2, 6), 'SLOT_OCCUPIED');
  });

  it('has none unless configured', async () => {
    const { library } = await open(dir);
    assert.equal(
      (await library.status()).slots.some((s) => s.importExport),
      false,
    );
  });
});
