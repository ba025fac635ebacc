// The mtx changer backend: `mtx status` parsing (barcodes, empty slots, import/export slots,
// drives loaded from a slot or from an unknown source), and load/unload/transfer with their
// refusals, checked before the robot moves and mapped from mtx's own messages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TapeError, TapeErrorCode } from '../../../src/drives/drive.js';
import { classifyMtxOutput } from '../../../src/drives/mtx/mtx-errors.js';
import { parseMtxStatus } from '../../../src/drives/mtx/mtx-status-parser.js';
import { FakeHardware } from './ltfs-fixture.js';

const is = (code: TapeErrorCode) => (e: TapeError) => {
  assert.equal(e.code, code, e.message);
  return true;
};

const SAMPLE = `  Storage Changer /dev/sg3:2 Drives, 6 Slots ( 1 Import/Export )
Data Transfer Element 0:Full (Storage Element 3 Loaded):VolumeTag = FER003L9
Data Transfer Element 1:Full (Unknown Storage Element Loaded):VolumeTag = FER009L9
      Storage Element 1:Full :VolumeTag=FER001L9                        
      Storage Element 2:Empty
      Storage Element 3:Empty
      Storage Element 4:Full :VolumeTag=CLN001L1
                AlternateVolumeTag=XYZ
      Storage Element 5:Full 
      Storage Element 6 IMPORT/EXPORT:Full :VolumeTag=FER010L9
`;

describe('mtx status parsing', () => {
  it('reads drives (0-based, with source slot), slots (1-based), barcodes and import/export slots', () => {
    const status = parseMtxStatus(SAMPLE);
    assert.deepEqual(status.drives, [
      { driveIndex: 0, barcode: 'FER003L9', sourceSlot: 3 },
      { driveIndex: 1, barcode: 'FER009L9', sourceSlot: null },
    ]);
    assert.deepEqual(status.slots, [
      { slot: 1, barcode: 'FER001L9', importExport: false },
      { slot: 2, barcode: null, importExport: false },
      { slot: 3, barcode: null, importExport: false },
      { slot: 4, barcode: 'CLN001L1', importExport: false },
      { slot: 5, barcode: '', importExport: false },
      { slot: 6, barcode: 'FER010L9', importExport: true },
    ]);
    assert.deepEqual([status.declaredDrives, status.declaredSlots, status.declaredImportExport], [2, 6, 1]);
  });

  it('reads an empty drive and a library without import/export slots', () => {
    const status = parseMtxStatus(
      '  Storage Changer /dev/sch0:1 Drives, 2 Slots ( 0 Import/Export )\nData Transfer Element 0:Empty\n      Storage Element 1:Empty\n      Storage Element 2:Full :VolumeTag=A00001L8\n',
    );
    assert.deepEqual(status.drives, [{ driveIndex: 0, barcode: null, sourceSlot: null }]);
    assert.equal(status.slots[1].barcode, 'A00001L8');
  });

  it('refuses output that is not mtx status', () => {
    assert.throws(() => parseMtxStatus('mtx: cannot open SCSI device'), /not mtx status output/);
  });

  it('maps mtx and changer refusals to TapeError codes', () => {
    assert.equal(classifyMtxOutput('mtx: Storage Element 4 is Empty'), 'SLOT_EMPTY');
    assert.equal(classifyMtxOutput('Drive 0 Full (Storage Element 3 loaded)'), 'DRIVE_OCCUPIED');
    assert.equal(classifyMtxOutput('Storage Element 2 is Already Full'), 'SLOT_OCCUPIED');
    assert.equal(classifyMtxOutput('Data Transfer Element 1 is Empty'), 'NO_TAPE');
    assert.equal(classifyMtxOutput("Invalid <storage-element-number> argument '99' to 'load' command"), 'UNKNOWN_SLOT');
    assert.equal(
      classifyMtxOutput(
        'MOVE MEDIUM from Element Address 1000 to 500 Failed\nmtx: Request Sense: Additional Sense Code = 3B\nmtx: Request Sense: Additional Sense Qualifier = 0E',
      ),
      'SLOT_EMPTY',
    );
    assert.equal(
      classifyMtxOutput(
        'MOVE MEDIUM from Element Address 500 to 1001 Failed\nmtx: Request Sense: Additional Sense Code = 53\nmtx: Request Sense: Additional Sense Qualifier = 02',
      ),
      'DRIVE_BUSY',
    );
  });
});

describe('mtx library over the fake changer', { timeout: 120_000 }, () => {
  let hw: FakeHardware;
  before(async () => {
    hw = await FakeHardware.create({
      slots: ['FER001L9', 'FER002L9', null, null, 'FER005L9'],
      importExport: 1,
      drives: 2,
      tapes: { FER001L9: { formatted: true } },
    });
  });
  after(() => hw.cleanup());

  it('status reports slots, the import/export slot and empty drives', async () => {
    const status = await hw.library.status();
    assert.deepEqual(hw.runner.of('mtx'), ['-f /dev/sg3 status']);
    assert.deepEqual(
      status.slots.map((s) => [s.slot, s.barcode, s.importExport]),
      [
        [1, 'FER001L9', false],
        [2, 'FER002L9', false],
        [3, null, false],
        [4, null, false],
        [5, 'FER005L9', true],
      ],
    );
    assert.deepEqual(
      status.drives.map((d) => d.barcode),
      [null, null],
    );
  });

  it('loads slot 2 into drive 1 (`mtx load 2 1`) and reports the source slot', async () => {
    await hw.library.load(2, 1);
    assert.equal(hw.runner.of('mtx').at(-1), '-f /dev/sg3 load 2 1');
    const status = await hw.library.status();
    assert.deepEqual(status.drives[1], { driveIndex: 1, barcode: 'FER002L9', sourceSlot: 2 });
    assert.equal(status.slots[1].barcode, null);
    assert.equal((await hw.backend.drives[1].loaded())?.barcode, 'FER002L9');
  });

  it('refuses bad loads before moving anything', async () => {
    const moves = () => hw.runner.of('mtx').filter((c) => !c.endsWith('status')).length;
    const before = moves();
    await assert.rejects(hw.library.load(1, 1), is('DRIVE_OCCUPIED'));
    await assert.rejects(hw.library.load(3, 0), is('SLOT_EMPTY'));
    await assert.rejects(hw.library.load(99, 0), is('UNKNOWN_SLOT'));
    await assert.rejects(hw.library.load(1, 7), is('UNKNOWN_DRIVE'));
    assert.equal(moves(), before);
  });

  it('unloads to the source slot by default, and to a given slot', async () => {
    await hw.library.unload(1);
    assert.equal(hw.runner.of('mtx').at(-1), '-f /dev/sg3 unload 2 1');
    await hw.library.load(2, 1);
    await hw.library.unload(1, 4);
    assert.equal(hw.runner.of('mtx').at(-1), '-f /dev/sg3 unload 4 1');
    assert.equal((await hw.library.status()).slots[3].barcode, 'FER002L9');
  });

  it('refuses bad unloads', async () => {
    await assert.rejects(hw.library.unload(0), is('NO_TAPE'));
    await hw.library.load(1, 0);
    await assert.rejects(hw.library.unload(0, 4), is('SLOT_OCCUPIED'));
    await assert.rejects(hw.library.unload(0, 42), is('UNKNOWN_SLOT'));
  });

  it('will not unload a drive whose volume is mounted (DRIVE_BUSY), and maps the changer refusing the same', async () => {
    const volume = await hw.drive.mount();
    await assert.rejects(hw.library.unload(0), is('DRIVE_BUSY'));
    // Another process holding the mount: only the drive (prevent medium removal) refuses.
    hw.library.driveBusy = () => null;
    await assert.rejects(hw.library.unload(0), (e: TapeError) => e.code === 'DRIVE_BUSY' && /Failed/.test(e.message));
    await volume.unmount();
    await hw.library.unload(0);
    assert.equal((await hw.library.status()).slots[0].barcode, 'FER001L9');
  });

  it('transfers between slots, including to and from the import/export slot', async () => {
    await hw.library.transfer(5, 3);
    assert.equal(hw.runner.of('mtx').at(-1), '-f /dev/sg3 transfer 5 3');
    await hw.library.transfer(1, 5);
    const status = await hw.library.status();
    assert.deepEqual([status.slots[0].barcode, status.slots[2].barcode, status.slots[4].barcode], [null, 'FER005L9', 'FER001L9']);
    await assert.rejects(hw.library.transfer(1, 2), is('SLOT_EMPTY'));
    await assert.rejects(hw.library.transfer(3, 4), is('SLOT_OCCUPIED'));
    await assert.rejects(hw.library.transfer(3, 0), is('UNKNOWN_SLOT'));
  });
});
