// A standalone LTFS drive (no changer): it notices a cartridge through `mt status`, learns which one
// by mounting it read-only once and reading its label, ejects it with `mt offline`, and takes a
// cartridge with no volume only as a blank to format.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LtfsDrive } from '../../../src/drives/ltfs/ltfs-drive.js';
import { statusSaysOnline } from '../../../src/drives/ltfs/mt-medium.js';
import { FakeHardware } from './ltfs-fixture.js';

describe('ltfs backend: a standalone drive', { timeout: 120_000 }, () => {
  let hw: FakeHardware;
  let drive: LtfsDrive;
  before(async () => {
    hw = await FakeHardware.create({ slots: [], standalone: true, tapes: { FER001L9: { formatted: true }, FER002L9: {} } });
    drive = hw.drive;
  });
  after(() => hw.cleanup());

  const roMounts = () => hw.runner.of('ltfs').filter((args) => / -o ro /.test(` ${args} `)).length;

  it('is empty, and has nothing to eject, until a cartridge is inserted', async () => {
    assert.equal(await drive.loaded(), null);
    assert.equal(await drive.unlabelled(), false);
    assert.equal(await drive.eject!(), null);
    assert.equal(roMounts(), 0, 'an empty drive is never mounted');
  });

  it('names an inserted cartridge by its volume, mounting it read-only once', async () => {
    await hw.insert('FER001L9');
    const info = await drive.loaded();
    assert.equal(info?.barcode, 'FER001L9');
    assert.equal(info?.formatted, true);
    assert.equal(drive.mountedVolume, null, 'the identifying mount is gone');
    await drive.loaded();
    assert.equal(roMounts(), 1, 'polls after the first answer from what was learnt');
    assert.equal(drive.identity.libraryName, null);
  });

  it('ejects it for the operator with mt offline, and forgets it', async () => {
    assert.equal(await drive.eject!(), 'FER001L9');
    assert.ok(hw.runner.of('mt').some((a) => a.endsWith('offline')));
    assert.equal((await hw.state()).changer.drives[0].barcode, null);
    assert.equal(await drive.loaded(), null);
  });

  it('refuses to eject while its volume is mounted', async () => {
    await hw.insert('FER001L9');
    const volume = await drive.mount({ readOnly: true });
    await assert.rejects(drive.eject!(), /mounted/);
    await volume.unmount();
    assert.equal(await drive.eject!(), 'FER001L9');
  });

  it('a cartridge with no volume has no barcode, reads as unlabelled, and is named by its format', async () => {
    await hw.insert('FER002L9');
    assert.equal(await drive.loaded(), null);
    assert.equal(await drive.unlabelled(), true);
    await drive.format({ barcode: 'FER002L9', force: false });
    assert.equal((await drive.loaded())?.barcode, 'FER002L9');
    assert.equal(await drive.unlabelled(), false);
  });

  it('reads mt-st status bits', () => {
    assert.equal(statusSaysOnline('General status bits on (41010000):\n BOT ONLINE IM_REP_EN\n'), true);
    assert.equal(statusSaysOnline('General status bits on (50000):\n DR_OPEN IM_REP_EN\n'), false);
    assert.throws(() => statusSaysOnline('mt: garbage'), /unexpected mt status output/);
  });
});
