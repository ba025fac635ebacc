// The ltfs-file library on the real LTFS: the emulated changer moves cartridges that are LTFS
// `file`-backend tape directories, and the drives run the real mkltfs, ltfs and ltfsck. Skipped
// (saying why) where LTFS is not installed; CI builds it and sets FERRITE_REQUIRE_LTFS=1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile as writeFs } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { agentConfigSchema, type LtfsFileLibrarySettings } from '../../src/config/agent-config.js';
import { TapeError } from '../../src/drives/drive.js';
import { openLtfsFileLibrary, type OpenedLtfsFileLibrary } from '../../src/drives/ltfs-file/open-ltfs-file-library.js';
import type { LtfsDrive } from '../../src/drives/ltfs/ltfs-drive.js';
import { createLogger } from '../../src/logger.js';
import { tempDir } from '../unit/drives/emulated-fixture.js';
import { ejectFromDrive, insertIntoDrive } from '../../src/drives/emulated/shelf-operator.js';
import { realLtfsUnavailable } from '../support/real-ltfs.js';

const unavailable = await realLtfsUnavailable();
const MiB = 1024 * 1024;

function settings(dir: string, extra: Record<string, unknown> = {}): LtfsFileLibrarySettings {
  const config = agentConfigSchema.parse({
    name: 'a',
    server: 'x:1',
    hostname: 'h',
    stateDir: dir,
    allowedBackupRoots: ['/tmp'],
    allowedRestoreRoots: ['/tmp'],
    libraries: [
      {
        backend: 'ltfs-file',
        name: 'lib1',
        dir: path.join(dir, 'library'),
        slots: 4,
        drives: 1,
        generation: 9,
        capacityBytes: 256 * MiB,
        barcodes: ['FER001L9', 'FER002L9'],
        ...extra,
      },
    ],
  });
  return config.libraries[0] as LtfsFileLibrarySettings;
}

async function writeFile(drive: LtfsDrive, name: string, data: Buffer): Promise<void> {
  const volume = drive.mountedVolume!;
  await pipeline(Readable.from([data]), await volume.createWriteStream(name));
}

async function readBack(drive: LtfsDrive, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of drive.mountedVolume!.createReadStream(name)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('ltfs-file library on the real LTFS', { skip: unavailable ?? false }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let opened: OpenedLtfsFileLibrary;
  let drive: LtfsDrive;
  const first = randomBytes(3 * MiB + 123);
  const second = randomBytes(700 * 1024);

  before(async () => {
    tmp = await tempDir('ferrite-ltfs-file-');
    opened = await openLtfsFileLibrary(settings(tmp.dir), path.join(tmp.dir, 'agent'), createLogger('silent'));
    drive = opened.drives[0]!;
  });
  after(async () => {
    // A failed test must not leave a FUSE mount behind.
    if (drive?.mountedVolume) await drive.mountedVolume.unmount().catch(() => undefined);
    await tmp.cleanup();
  });

  it('formats a cartridge the changer loaded, with a real volume UUID', async () => {
    const slot = (await opened.library.status()).slots.find((s) => s.barcode === 'FER001L9')!.slot;
    await opened.library.load(slot, 0);
    const before = await drive.loaded();
    assert.equal(before?.barcode, 'FER001L9');
    assert.equal(before?.detailsKnown, false, 'LTFS knows nothing of a cartridge it has not mounted');
    const { volumeUuid } = await drive.format({ barcode: 'FER001L9', force: false });
    assert.match(volumeUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal((await drive.loaded())?.volumeUuid, volumeUuid);
  });

  it('writes files whose positions come from the real LTFS xattrs, and reads them back after a remount', async () => {
    const volume = await drive.mount();
    const space = await volume.space();
    assert.ok(space.totalBytes > 200 * MiB && space.totalBytes < 256 * MiB, `a 256 MiB file cartridge holds about 238 MiB, got ${space.totalBytes}`);
    await writeFile(drive, 'data/first.bin', first);
    await volume.sync();
    await writeFile(drive, 'data/second.bin', second);
    const p1 = await volume.position('data/first.bin');
    const p2 = await volume.position('data/second.bin');
    assert.equal(p1.partition, 'b');
    assert.equal(p1.size, first.length);
    assert.ok(p2.startBlock > p1.startBlock, `second file after the first on tape (${p1.startBlock} then ${p2.startBlock})`);
    assert.deepEqual((await volume.list('data')).sort(), ['data/first.bin', 'data/second.bin']);
    await volume.unmount();
    const info = await drive.loaded();
    assert.ok(info && info.usedBytes >= first.length, `used bytes learnt at unmount: ${info?.usedBytes}`);

    const again = await drive.mount({ readOnly: true });
    assert.equal(again.readOnly, true);
    assert.equal(sha(await readBack(drive, 'data/first.bin')), sha(first));
    assert.equal(sha(await readBack(drive, 'data/second.bin')), sha(second));
    assert.deepEqual(await again.position('data/first.bin'), p1, 'positions survive the index write');
    await again.unmount();
  });

  it('refuses to unload a cartridge while LTFS has it mounted', async () => {
    const volume = await drive.mount({ readOnly: true });
    await assert.rejects(opened.library.unload(0), (err: TapeError) => err.code === 'DRIVE_BUSY' && /mounted/.test(err.message));
    await volume.unmount();
  });

  it('after a crash with the volume mounted, the leftover mount is released, the volume is repaired and writing goes on', async () => {
    const volume = await drive.mount();
    await writeFile(drive, 'data/third.bin', randomBytes(2 * MiB));
    await volume.sync();
    await writeFile(drive, 'data/lost.bin', randomBytes(2 * MiB));
    // The machine goes down: the LTFS daemon dies without writing its index, the mount stays.
    execFileSync('pkill', ['-9', '-f', `devname=${path.join(opened.library.cartridgeDir('FER001L9'), 'ltfs')}`]);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // A new agent process: same library, new drive objects.
    const restarted = await openLtfsFileLibrary(settings(tmp.dir), path.join(tmp.dir, 'agent'), createLogger('silent'));
    const drive2 = restarted.drives[0];
    // Real LTFS either refuses the volume until ltfsck has run (LTFS11027E) or mends it itself at
    // mount (LTFS11022I: it writes its last index again after the data), which the volume says;
    // which one depends on how far LTFS had got when it was killed (both are seen here). Either
    // way what was synced is kept and what came after the last index is not in the index.
    let volume2: Awaited<ReturnType<LtfsDrive['mount']>>;
    try {
      volume2 = await drive2.mount();
      assert.match(volume2.recoveredAtMount ?? '', /11022I|repaired/, 'a volume mounted after a crash says LTFS repaired it');
    } catch (err) {
      assert.ok(err instanceof TapeError && err.code === 'VOLUME_DIRTY' && /11027E/.test(err.message), String(err));
      assert.equal((await drive2.loaded())?.dirty, true);
      assert.equal((await drive2.check()).repaired, true);
      volume2 = await drive2.mount();
    }
    const names = await volume2.list('data');
    assert.ok(names.includes('data/third.bin'), 'what was synced before the crash is there');
    assert.ok(!names.includes('data/lost.bin'), 'what was not synced is not in the index');
    await writeFile(drive2, 'data/after.bin', second);
    await volume2.unmount();
    drive = drive2;
  });

  it('after a crash that left no end-of-data mark (LTFS17146E), the mark is put back and ltfsck rolls back to the last index', async () => {
    const tapeDir = path.join(opened.library.cartridgeDir('FER001L9'), 'ltfs');
    const volume = await drive.mount();
    await writeFile(drive, 'eod/kept.bin', randomBytes(MiB));
    await volume.sync();
    await writeFile(drive, 'eod/cut.bin', randomBytes(3 * MiB));
    execFileSync('pkill', ['-9', '-f', `devname=${tapeDir}`]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // LTFS killed in the middle of writing a record leaves the data partition without its end-of-data mark.
    for (const name of await readdir(tapeDir)) if (/^1_\d+_E$/.test(name)) await rm(path.join(tapeDir, name));

    const restarted = await openLtfsFileLibrary(settings(tmp.dir), path.join(tmp.dir, 'agent'), createLogger('silent'));
    const drive3 = restarted.drives[0];
    await assert.rejects(drive3.mount(), (err: TapeError) => err.code === 'VOLUME_DIRTY' && /17146E/.test(err.message));
    assert.equal((await drive3.check()).repaired, true);
    assert.ok(
      (await readdir(tapeDir)).some((n) => /^1_\d+_E$/.test(n)),
      'the end-of-data mark is back',
    );
    const volume3 = await drive3.mount();
    const names = await volume3.list('eod');
    assert.deepEqual(names, ['eod/kept.bin'], 'what was synced is kept; what came after the last index is not in it');
    await volume3.unmount();
    drive = drive3;
  });

  it('a cartridge keeps its size from the first format (filedebug_tc_conf.xml written before mkltfs)', async () => {
    const xml = await readFile(path.join(opened.library.cartridgeDir('FER001L9'), 'ltfs', 'filedebug_tc_conf.xml'), 'utf8');
    assert.match(xml, /<capacity_mb>256<\/capacity_mb>/);
  });

  it('a cartridge whose index real LTFS cannot read is refused with its message (MEDIUM_ERROR), and the drive stays usable', async () => {
    const lib = await openLtfsFileLibrary(settings(tmp.dir), path.join(tmp.dir, 'agent'), createLogger('silent'));
    const d = lib.drives[0];
    drive = d;
    const slotOf = async (barcode: string) => (await lib.library.status()).slots.find((s) => s.barcode === barcode)!.slot;
    await lib.library.unload(0);
    await lib.library.load(await slotOf('FER002L9'), 0);
    await d.format({ barcode: 'FER002L9', force: false });
    // Every copy of the index, on both partitions, is damaged (a cartridge written by a broken
    // tool, or a medium that went bad).
    const tapeDir = path.join(lib.library.cartridgeDir('FER002L9'), 'ltfs');
    let damaged = 0;
    for (const name of await readdir(tapeDir)) {
      const file = path.join(tapeDir, name);
      if (/^[01]_\d+_R$/.test(name) && (await readFile(file, 'utf8')).includes('<ltfsindex')) {
        await writeFs(file, '<?xml version="1.0" encoding="UTF-8"?>\n<garbage/>\n');
        damaged++;
      }
    }
    assert.ok(damaged >= 2, `index copies damaged: ${damaged}`);
    await assert.rejects(d.mount(), (err: TapeError) => err.code === 'MEDIUM_ERROR' && /LTFS11024E/.test(err.message));
    assert.equal(d.mountedVolume, null, 'nothing is mounted');

    // The drive is not left in a bad state: the next cartridge mounts and reads.
    await lib.library.unload(0);
    await lib.library.load(await slotOf('FER001L9'), 0);
    const volume = await d.mount({ readOnly: true });
    assert.ok((await volume.list('data')).includes('data/first.bin'));
    await volume.unmount();
  });

  it("a cartridge's write-protect tab reaches the real LTFS: a read-only mount, no write, no format", async () => {
    const lib = await openLtfsFileLibrary(settings(tmp.dir), path.join(tmp.dir, 'agent'), createLogger('silent'));
    const d = lib.drives[0];
    drive = d;
    await lib.library.unload(0);
    await lib.library.setWriteProtected('FER001L9', true);
    const slot = (await lib.library.status()).slots.find((s) => s.barcode === 'FER001L9')!.slot;
    await lib.library.load(slot, 0);
    const volume = await d.mount();
    assert.equal(volume.readOnly, true, 'LTFS mounts a write-protected cartridge read-only');
    await assert.rejects(writeFile(d, 'data/refused.bin', randomBytes(1024)), (err: TapeError) => err.code === 'WRITE_PROTECTED');
    assert.equal(sha(await readBack(d, 'data/first.bin')), sha(first), 'and reads it');
    await volume.unmount();
    await assert.rejects(d.format({ barcode: 'FER001L9', force: true }), (err: TapeError) => err.code === 'WRITE_PROTECTED' && /11095E/.test(err.message));

    // The tab slid back: writable again, the data still there.
    await lib.library.unload(0);
    await lib.library.setWriteProtected('FER001L9', false);
    await lib.library.load(slot, 0);
    const writable = await d.mount();
    assert.equal(writable.readOnly, false);
    await writeFile(d, 'data/after-tab.bin', second);
    assert.equal(sha(await readBack(d, 'data/first.bin')), sha(first));
    await writable.unmount();
  });
});

describe('a standalone drive (no changer) on the real LTFS', { skip: unavailable ?? false }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let opened: OpenedLtfsFileLibrary;
  let drive: LtfsDrive;
  const libraryDir = () => path.join(tmp.dir, 'library');

  before(async () => {
    tmp = await tempDir('ferrite-ltfs-standalone-');
    opened = await openLtfsFileLibrary(settings(tmp.dir, { changer: false, slots: 0, barcodes: [] }), path.join(tmp.dir, 'agent'), createLogger('silent'));
    drive = opened.drives[0]!;
  });
  after(async () => {
    if (drive?.mountedVolume) await drive.mountedVolume.unmount().catch(() => undefined);
    await tmp.cleanup();
  });

  it('takes a new cartridge as unlabelled, names it by its format, and knows it again by its volume after an eject', async () => {
    assert.equal(drive.identity.libraryName, null);
    assert.equal(await drive.loaded(), null);
    await insertIntoDrive(libraryDir(), 'FER009L9', { newCartridge: true });
    assert.equal(await drive.loaded(), null, 'a blank cartridge has no barcode the drive can read');
    assert.equal(await drive.unlabelled(), true);
    await drive.format({ barcode: 'FER009L9', force: false });
    assert.equal((await drive.loaded())?.barcode, 'FER009L9');

    assert.equal(await drive.eject!(), 'FER009L9');
    assert.equal(await drive.loaded(), null);
    // The operator puts it back: a new agent process knows it only from what real LTFS reads.
    await insertIntoDrive(libraryDir(), 'FER009L9');
    const restarted = await openLtfsFileLibrary(
      settings(tmp.dir, { changer: false, slots: 0, barcodes: [] }),
      path.join(tmp.dir, 'agent'),
      createLogger('silent'),
    );
    drive = restarted.drives[0]!;
    const info = await drive.loaded();
    assert.equal(info?.barcode, 'FER009L9', 'read from the LTFS volume name');
    assert.equal(info?.formatted, true);
    assert.equal(await drive.eject!(), 'FER009L9');
    await assert.rejects(ejectFromDrive(libraryDir(), 0), /empty/);
  });
});
