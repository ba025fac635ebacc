// Contract of the ltfs backend against the fake LTFS tools: the command lines it runs (mkltfs,
// ltfs, umount, getfattr, setfattr), what it reads back (UUID, positions, capacity, alerts), and
// that unmount returns only once LTFS has written its index.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { text } from 'node:stream/consumers';
import { BLOCK_SIZE, TapeError } from '../../../src/drives/drive.js';
import { FakeHardware } from './ltfs-fixture.js';

async function writeFileTo(volume: { createWriteStream(p: string): Promise<NodeJS.WritableStream> }, rel: string, data: Buffer): Promise<void> {
  await pipeline(Readable.from([data]), await volume.createWriteStream(rel));
}

describe('ltfs backend: format, mount, write, sync, unmount', { timeout: 120_000 }, () => {
  let hw: FakeHardware;
  before(async () => {
    hw = await FakeHardware.create({ slots: ['FER001L9', 'FER002L9', null], tapes: { FER001L9: {}, FER002L9: { formatted: true } } });
    await hw.library.load(1, 0);
  });
  after(() => hw.cleanup());

  it('formats with the VOLSER as serial and the barcode as volume name, and returns the UUID mkltfs printed', async () => {
    const { volumeUuid } = await hw.drive.format({ barcode: 'FER001L9', force: false });
    assert.deepEqual(hw.runner.of('mkltfs'), ['-d /dev/nst0 -s FER001 -n FER001L9']);
    const tape = (await hw.state()).tapes.FER001L9;
    assert.equal(volumeUuid, tape.uuid);
    assert.equal(tape.formatted, true);
    assert.equal((await hw.drive.loaded())?.volumeUuid, volumeUuid);
  });

  it('refuses to reformat a formatted volume without force (VOLUME_NOT_EMPTY), and passes --force with it', async () => {
    await assert.rejects(
      hw.drive.format({ barcode: 'FER001L9', force: false }),
      (e: TapeError) => e.code === 'VOLUME_NOT_EMPTY' && /LTFS15047E/.test(e.message),
    );
    const before = (await hw.state()).tapes.FER001L9.uuid;
    const { volumeUuid } = await hw.drive.format({ barcode: 'FER001L9', force: true });
    assert.equal(hw.runner.of('mkltfs').at(-1), '-d /dev/nst0 -s FER001 -n FER001L9 -f');
    assert.notEqual(volumeUuid, before);
  });

  it('mounts with devname, sync_type and work_directory, writes files and reads their LTFS positions', async () => {
    const volume = await hw.drive.mount();
    const mountArgs = hw.runner.of('ltfs').at(-1)!;
    assert.equal(
      mountArgs,
      `-f -o devname=/dev/nst0 -o sync_type=unmount -o work_directory=${path.join(hw.dir, 'work', 'drive0')} ${path.join(hw.dir, 'mnt', 'drive0')}`,
    );
    assert.equal(volume.root, path.join(hw.dir, 'mnt', 'drive0'));
    assert.equal(volume.barcode, 'FER001L9');
    assert.equal(volume.readOnly, false);
    assert.ok((await hw.state()).mounts[volume.root], 'the fake mount table lists the mount point');

    const first = Buffer.alloc(BLOCK_SIZE + 10, 1);
    await writeFileTo(volume, 'ferrite/data/a.bin', first);
    await writeFileTo(volume, '/ferrite/data/b.bin', Buffer.from('bee'));
    assert.deepEqual(await volume.position('ferrite/data/a.bin'), { partition: 'b', startBlock: 0, size: first.length });
    assert.deepEqual(await volume.position('ferrite/data/b.bin'), { partition: 'b', startBlock: 2, size: 3 });
    assert.ok(hw.runner.of('getfattr').includes(`-n user.ltfs.startblock --only-values --absolute-names ${path.join(volume.root, 'ferrite/data/a.bin')}`));
    await assert.rejects(volume.position('nope.bin'), (e: TapeError) => e.code === 'FILE_NOT_FOUND');

    assert.deepEqual(await volume.list('ferrite'), ['ferrite/data/a.bin', 'ferrite/data/b.bin']);
    assert.equal(await volume.exists('ferrite/data'), true);
    assert.equal(await volume.exists('ferrite/nothing'), false);
    assert.equal(await text(volume.createReadStream('ferrite/data/b.bin', { start: 1, end: 2 })), 'ee');

    const space = await volume.space();
    assert.equal(space.totalBytes, 64 * 1024 * 1024);
    assert.equal(space.usedBytes, 2 * 1024 * 1024, 'three 512 KiB blocks round up to 2 MiB used');
    assert.equal(space.earlyWarning, false);
  });

  it('sync writes user.ltfs.sync on the volume root and LTFS writes an index', async () => {
    const volume = hw.drive.mountedVolume!;
    const generation = (await hw.state()).tapes.FER001L9.indexGeneration!;
    await volume.sync();
    assert.equal(hw.runner.of('setfattr').at(-1), `-n user.ltfs.sync -v 1 ${volume.root}`);
    assert.equal((await hw.state()).tapes.FER001L9.indexGeneration, generation + 1);
  });

  it('unmount refuses while a file is open, then waits until LTFS has written its index and exited', async () => {
    const volume = hw.drive.mountedVolume!;
    const open = await volume.createWriteStream('open.bin');
    await assert.rejects(volume.unmount(), (e: TapeError) => e.code === 'DRIVE_BUSY');
    open.end('x');
    await hw.update((s) => (s.faults.unmountDelayMs = 400));
    const generation = (await hw.state()).tapes.FER001L9.indexGeneration!;
    const started = Date.now();
    await volume.unmount();
    const elapsed = Date.now() - started;
    const state = await hw.state();
    assert.ok(elapsed >= 400, `unmount returned after ${elapsed} ms, before LTFS finished its index`);
    assert.equal(state.tapes.FER001L9.indexGeneration, generation + 1, 'the index was written before unmount returned');
    assert.equal(state.tapes.FER001L9.dirty, false);
    assert.deepEqual(state.mounts, {});
    assert.deepEqual(hw.runner.of('umount'), [volume.root]);
    assert.equal(hw.drive.mountedVolume, null);
    assert.deepEqual(await readFile(path.join(hw.volumeDir('FER001L9'), 'ferrite/data/b.bin'), 'utf8'), 'bee');
    await assert.rejects(volume.sync(), (e: TapeError) => e.code === 'NOT_MOUNTED');
    await hw.update((s) => (s.faults.unmountDelayMs = 0));
  });

  it('mounts read-only on request (-o ro) and refuses writes with WRITE_PROTECTED', async () => {
    const volume = await hw.drive.mount({ readOnly: true });
    assert.match(hw.runner.of('ltfs').at(-1)!, / -o ro /);
    assert.equal(volume.readOnly, true);
    await assert.rejects(volume.createWriteStream('x.bin'), (e: TapeError) => e.code === 'WRITE_PROTECTED');
    await volume.sync();
    assert.equal(hw.runner.of('setfattr').length, 1, 'a read-only volume has no index to write');
    await volume.unmount();
  });

  it('says when LTFS repaired a volume not unmounted cleanly by itself at mount (LTFS11022I)', async () => {
    await hw.update((s) => Object.assign(s.tapes.FER001L9, { dirty: true, repairsItself: true }));
    const volume = await hw.drive.mount();
    assert.match(volume.recoveredAtMount ?? '', /FER001L9 not unmounted cleanly and recovered it at mount \(LTFS11022I\)/);
    await volume.unmount();
    const clean = await hw.drive.mount();
    assert.equal(clean.recoveredAtMount, undefined, 'only the mount that repaired says so');
    await clean.unmount();
  });

  it('reads capacity and TapeAlert flags from the root xattrs', async () => {
    // TapeAlert flag 4 (media) and 20 (clean now): bits 3 and 19.
    await hw.update((s) => (s.tapes.FER001L9.tapeAlert = (1 << 3) | (1 << 19)));
    const volume = await hw.drive.mount();
    const attrs = await volume.attributes();
    assert.deepEqual(
      attrs.alerts.map((a) => a.name),
      ['MEDIA', 'CLEAN_NOW'],
    );
    assert.equal(attrs.alertBits, 0x80008n);
    assert.equal(attrs.volumeUuid, (await hw.state()).tapes.FER001L9.uuid);
    assert.equal(attrs.totalBytes, 64 * 1024 * 1024);
    await volume.unmount();
    assert.equal((await hw.drive.loaded())?.capacityBytes, 64 * 1024 * 1024, 'loaded() reports what the last mount learnt');
  });

  it('with fusermount configured, unmounts with fusermount -u', async () => {
    const fuse = await FakeHardware.create({ slots: ['FER003L9'], tapes: { FER003L9: { formatted: true } }, settings: { unmountCommand: 'fusermount' } });
    try {
      await fuse.library.load(1, 0);
      const volume = await fuse.drive.mount();
      await volume.unmount();
      assert.deepEqual(fuse.runner.of('fusermount'), [`-u ${volume.root}`]);
      assert.equal(existsSync(path.join(fuse.volumeDir('FER003L9'))), true);
    } finally {
      await fuse.cleanup();
    }
  });
});
