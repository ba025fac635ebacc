// Every failure the LTFS tools report reaches job handlers as a TapeError with a stable code: the
// fakes print the real tools' message IDs and device codes and exit with their exit codes. The
// drive is opened standalone (no changer), so the tools themselves have to tell what is wrong.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TapeError, TapeErrorCode } from '../../../src/drives/drive.js';
import { FakeHardware } from './ltfs-fixture.js';

const is = (code: TapeErrorCode, message?: RegExp) => (e: TapeError) => {
  assert.equal(e.code, code, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

describe('ltfs backend: tool failures mapped to TapeError codes', { timeout: 120_000 }, () => {
  let hw: FakeHardware;
  before(async () => {
    hw = await FakeHardware.create({ slots: [null], standalone: true, tapes: { FER001L9: { formatted: true }, FER002L9: {} } });
  });
  after(() => hw.cleanup());

  it('no tape in the drive: NO_TAPE from ltfs (LTFS11006E), mkltfs (LTFS11093E) and ltfsck (-20209)', async () => {
    await assert.rejects(hw.drive.mount(), is('NO_TAPE', /LTFS11006E/));
    await assert.rejects(hw.drive.format({ barcode: 'FER001L9', force: false }), is('NO_TAPE', /LTFS11093E/));
    await assert.rejects(hw.drive.check(), is('NO_TAPE'));
  });

  it('drive busy (reserved by another initiator): DRIVE_BUSY from every tool', async () => {
    await hw.insert('FER001L9');
    await hw.update((s) => s.busyDevices.push('/dev/nst0'));
    await assert.rejects(hw.drive.mount(), is('DRIVE_BUSY', /LTFS11004E/));
    await assert.rejects(hw.drive.format({ barcode: 'FER001L9', force: true }), is('DRIVE_BUSY'));
    await assert.rejects(hw.drive.check(), is('DRIVE_BUSY'));
    await hw.update((s) => (s.busyDevices = []));
  });

  it('medium error: MEDIUM_ERROR from mount, format and check', async () => {
    await hw.update((s) => (s.tapes.FER001L9.mediumError = true));
    await assert.rejects(hw.drive.mount(), is('MEDIUM_ERROR', /LTFS11009E/));
    await assert.rejects(hw.drive.format({ barcode: 'FER001L9', force: true }), is('MEDIUM_ERROR', /LTFS11098E/));
    await assert.rejects(hw.drive.check(), is('MEDIUM_ERROR'));
    await hw.update((s) => (s.tapes.FER001L9.mediumError = false));
  });

  it('write-protected: format refused (LTFS11095E); LTFS mounts it read-only and writes are refused', async () => {
    await hw.update((s) => (s.tapes.FER001L9.writeProtected = true));
    await assert.rejects(hw.drive.format({ barcode: 'FER001L9', force: true }), is('WRITE_PROTECTED', /LTFS11095E/));
    const volume = await hw.drive.mount();
    assert.equal(volume.readOnly, true);
    await assert.rejects(volume.createWriteStream('x'), is('WRITE_PROTECTED', /write-protected/));
    await volume.unmount();
    await hw.update((s) => (s.tapes.FER001L9.writeProtected = false));
  });

  it('a dirty volume refuses to mount (VOLUME_DIRTY, LTFS11027E) until ltfsck repaired it', async () => {
    await hw.update((s) => (s.tapes.FER001L9.dirty = true));
    await assert.rejects(hw.drive.mount(), is('VOLUME_DIRTY', /LTFS11027E/));
    const result = await hw.drive.check();
    assert.deepEqual(result, { repaired: true, lostFiles: [] });
    assert.equal((await hw.state()).tapes.FER001L9.dirty, false);
    const volume = await hw.drive.mount();
    assert.equal(volume.barcode, 'FER001L9', 'a standalone drive learns the barcode from ltfs.volumeName');
    await volume.unmount();
  });

  it('reports the early-warning zone from the space LTFS says is left', async () => {
    await hw.update((s) => (s.tapes.FER001L9.capacityMiB = 4));
    const volume = await hw.drive.mount();
    assert.equal((await volume.space()).earlyWarning, false);
    await volume.createWriteStream('fill.bin').then((w) => new Promise((resolve) => w.end(Buffer.alloc(3 * 512 * 1024), () => resolve(null))));
    await volume.position('fill.bin');
    const space = await volume.space();
    assert.deepEqual([space.totalBytes, space.availableBytes, space.earlyWarning], [4 * 1024 * 1024, 2 * 1024 * 1024, true]);
    await volume.unmount();
  });

  it('umount refused ("target is busy"): DRIVE_BUSY and the volume stays mounted', async () => {
    const volume = await hw.drive.mount();
    await hw.update((s) => (s.faults.umountBusy = true));
    await assert.rejects(volume.unmount(), is('DRIVE_BUSY', /target is busy/));
    assert.equal(volume.isMounted, true);
    await hw.update((s) => (s.faults.umountBusy = false));
    await volume.unmount();
  });

  it('index sync failure and index write failure at unmount: MEDIUM_ERROR, the volume is then known dirty', async () => {
    const volume = await hw.drive.mount();
    await hw.update((s) => {
      s.faults.syncFails = true;
      s.faults.indexWriteFails = true;
    });
    await assert.rejects(volume.sync(), is('MEDIUM_ERROR', /Input\/output error/));
    await assert.rejects(volume.unmount(), is('MEDIUM_ERROR', /LTFS11033E/));
    assert.equal(hw.drive.mountedVolume, null, 'LTFS exited: the mount is gone even though the index was not written');
    assert.equal((await hw.state()).tapes.FER001L9.dirty, true);
    await hw.update((s) => (s.faults = {}));
  });

  it('an unformatted cartridge: NOT_FORMATTED (LTFS17168E); unformat (mkltfs -w) exits 1 and succeeds', async () => {
    await hw.drive.unformat({ force: true });
    assert.equal(hw.runner.of('mkltfs').at(-1), '-d /dev/nst0 -w -f');
    assert.equal((await hw.state()).tapes.FER001L9.formatted, false);
    await assert.rejects(hw.drive.mount(), is('NOT_FORMATTED', /LTFS17168E/));
  });
});

describe('ltfs backend in a library: refusals before any tool runs', { timeout: 120_000 }, () => {
  let hw: FakeHardware;
  before(async () => {
    hw = await FakeHardware.create({ slots: ['CLN001L1', null], tapes: {} });
  });
  after(() => hw.cleanup());

  it('refuses an empty drive (NO_TAPE) and a cleaning cartridge (CLEANING_CARTRIDGE) without calling LTFS', async () => {
    await assert.rejects(hw.drive.mount(), is('NO_TAPE'));
    await hw.library.load(1, 0);
    await assert.rejects(hw.drive.format({ barcode: 'CLN001L1', force: true }), is('CLEANING_CARTRIDGE'));
    await assert.rejects(hw.drive.check(), is('CLEANING_CARTRIDGE'));
    assert.deepEqual(hw.runner.of('mkltfs').concat(hw.runner.of('ltfs'), hw.runner.of('ltfsck')), []);
  });
});
