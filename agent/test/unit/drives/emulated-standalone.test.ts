// An emulated standalone drive (changer: false): no slots; the operator inserts a cartridge straight
// into the drive and takes it out again (ferrite-emulated insert --drive / eject); the drive ejects
// its own cartridge for the operator; every refusal has a stable code and changes nothing.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ejectFromDrive, insertIntoDrive, ShelfOperatorError } from '../../../src/drives/emulated/index.js';
import { libraryStatePath } from '../../../src/drives/emulated/library-state.js';
import { open, rejectsWith, tempDir } from './emulated-fixture.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/emulated-shelf-cli.js');

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function rejectsOperator(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ShelfOperatorError, `expected ShelfOperatorError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe('an emulated standalone drive', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    let root: string;
    ({ dir: root, cleanup } = await tempDir('ferrite-standalone-'));
    dir = path.join(root, 'st');
  });
  afterEach(async () => cleanup());

  const openStandalone = () => open(dir, { name: 'st', changer: false, slots: 4, drives: 1, barcodes: ['IGN001L9'] });
  const state = async () => readFile(libraryStatePath(dir), 'utf8');

  it('has no slots and a drive that names no library', async () => {
    const { drives, library } = await openStandalone();
    assert.equal(drives[0].identity.libraryName, null);
    assert.equal((await library.status()).slots.length, 0);
    assert.equal(await drives[0].loaded(), null);
  });

  it('takes a cartridge inserted by hand, formats it, and ejects it back onto the shelf', async () => {
    const { drives } = await openStandalone();
    assert.deepEqual(await insertIntoDrive(dir, 'SOL001L9', { newCartridge: true }), { drive: 0 });
    assert.equal((await drives[0].loaded())?.barcode, 'SOL001L9');
    await drives[0].format({ barcode: 'SOL001L9', force: false });
    assert.equal(await drives[0].eject(), 'SOL001L9');
    assert.equal(await drives[0].loaded(), null);
    assert.equal(await drives[0].eject(), null);
    // Back in, it is the same formatted cartridge.
    await insertIntoDrive(dir, 'SOL001L9');
    assert.equal((await drives[0].loaded())?.formatted, true);
  });

  it('refuses bad moves with stable codes, changing nothing', async () => {
    const { drives } = await openStandalone();
    await rejectsOperator(insertIntoDrive(dir, 'SOL404L9'), 'NOT_ON_SHELF');
    await rejectsOperator(ejectFromDrive(dir, 0), 'DRIVE_EMPTY');
    await insertIntoDrive(dir, 'SOL001L9', { newCartridge: true });
    await drives[0].format({ barcode: 'SOL001L9', force: false });
    const before = await state();
    await rejectsOperator(insertIntoDrive(dir, 'SOL002L9', { newCartridge: true }), 'DRIVE_OCCUPIED');
    await rejectsOperator(insertIntoDrive(dir, 'SOL001L9'), 'ALREADY_IN_LIBRARY');
    await rejectsOperator(insertIntoDrive(dir, 'SOL002L9', { drive: 3, newCartridge: true }), 'UNKNOWN_DRIVE');
    // Mounted read-write by the agent: the operator cannot pull it out; the drive cannot eject it.
    const volume = await drives[0].mount();
    await rejectsOperator(ejectFromDrive(dir, 0), 'VOLUME_IN_USE');
    await rejectsWith(drives[0].eject(), 'ALREADY_MOUNTED');
    assert.equal(await state(), before);
    await volume.unmount();
    assert.deepEqual(await ejectFromDrive(dir, 0), { barcode: 'SOL001L9' });
  });

  it('is driven by the operator tool: insert (into the drive by default) and eject', async () => {
    await openStandalone();
    const inserted = await runCli(['insert', '--library', dir, 'SOL001L9', '--new']);
    assert.equal(inserted.code, 0, inserted.stderr);
    assert.match(inserted.stdout, /SOL001L9 put into drive0/);
    const again = await runCli(['insert', '--library', dir, 'SOL002L9', '--new', '--drive', '0']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /DRIVE_OCCUPIED/);
    const ejected = await runCli(['eject', '--library', dir]);
    assert.equal(ejected.code, 0, ejected.stderr);
    assert.match(ejected.stdout, /SOL001L9 taken out of drive0/);
  });
});

describe('two standalone libraries on one agent', () => {
  it('clash on drive names until one has its own driveNamePrefix', async () => {
    const { agentConfigSchema } = await import('../../../src/config/agent-config.js');
    const { openDriveSet } = await import('../../../src/drives/drive-set.js');
    const { createLogger } = await import('../../../src/logger.js');
    const tmp = await tempDir();
    try {
      const lib = (name: string, extra: object = {}) => ({
        backend: 'emulated',
        name,
        dir: path.join(tmp.dir, name),
        changer: false,
        drives: 1,
        generation: 9,
        ...extra,
      });
      const config = (libraries: object[]) =>
        agentConfigSchema.parse({
          name: 'a',
          server: 'x:1',
          hostname: 'h',
          stateDir: tmp.dir,
          allowedBackupRoots: ['/tmp'],
          allowedRestoreRoots: ['/tmp'],
          libraries,
        });
      await assert.rejects(openDriveSet(config([lib('left'), lib('right')]), createLogger('silent')), /two drives are named drive0.*driveNamePrefix/);
      const set = await openDriveSet(config([lib('left'), lib('right', { driveNamePrefix: 'st' })]), createLogger('silent'));
      assert.deepEqual(
        set
          .all()
          .map((e) => e.drive.identity.name)
          .sort(),
        ['drive0', 'st0'],
      );
      assert.throws(() => config([lib('bad', { driveNamePrefix: '0x' })]), /driveNamePrefix/);
    } finally {
      await tmp.cleanup();
    }
  });
});
