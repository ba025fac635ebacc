// Emulated libraries sharing a shelf: a cartridge moved from one to another keeps its data, is held
// by one library at a time, and the operator tool (ferrite-emulated) refuses bad moves without
// changing anything.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadAgentConfig } from '../../../src/config/agent-config.js';
import { openDriveSet } from '../../../src/drives/drive-set.js';
import { insertCartridge, listLibrary, removeCartridge, ShelfOperatorError } from '../../../src/drives/emulated/index.js';
import { withFileLock } from '../../../src/drives/emulated/file-lock.js';
import { readLibraryState, updateLibraryState } from '../../../src/drives/emulated/library-state.js';
import { open, pattern, readAll, readJson, rejectsWith, tempDir, writeAll } from './emulated-fixture.js';

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

describe('emulated libraries sharing a shelf', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let shelfDir: string;
  let dirA: string;
  let dirB: string;
  beforeEach(async () => {
    ({ dir: root, cleanup } = await tempDir('ferrite-shelf-'));
    shelfDir = path.join(root, 'shelf');
    dirA = path.join(root, 'lib-a');
    dirB = path.join(root, 'lib-b');
  });
  afterEach(async () => cleanup());

  const openA = () => open(dirA, { name: 'lib-a', shelfDir });
  const openB = () => open(dirB, { name: 'lib-b', shelfDir, barcodes: ['FER101L9'], slots: 4, importExportSlots: 1 });
  const holder = async (barcode: string) => (await readJson(path.join(shelfDir, 'holders', `${barcode}.json`))).library as string;
  /** Every state file an operator command could touch, to show that a refusal changed nothing. */
  const snapshot = async () => {
    const files: Record<string, string> = {};
    for (const [label, dir] of [
      ['a', dirA],
      ['b', dirB],
    ]) {
      files[`${label}/library.json`] = await readFile(path.join(dir, 'library.json'), 'utf8');
    }
    for (const name of await readdir(path.join(shelfDir, 'holders'))) files[`holders/${name}`] = await readFile(path.join(shelfDir, 'holders', name), 'utf8');
    files['cartridges'] = (await readdir(path.join(shelfDir, 'cartridges'))).sort().join(',');
    return files;
  };

  it('keeps the cartridges on the shelf and claims those in its slots', async () => {
    const { library } = await openA();
    assert.deepEqual(await readdir(path.join(shelfDir, 'cartridges')), ['CLN001L1', 'FER001L9', 'FER002L9', 'FER003L9']);
    assert.equal(await holder('FER001L9'), dirA);
    const state = await readLibraryState(dirA);
    assert.equal(state?.shelfDir, shelfDir);
    assert.deepEqual(
      (await readdir(dirA)).filter((f) => f !== 'library.json'),
      [],
      'nothing but library.json in the library directory',
    );
    assert.equal((await library.status()).slots[0].barcode, 'FER001L9');
  });

  it('moves a written cartridge from library A to library B, data intact', async () => {
    const a = await openA();
    const b = await openB();
    await a.library.load(1, 0);
    await a.drives[0].format({ barcode: 'FER001L9', force: false });
    const written = await a.drives[0].mount();
    const data = pattern(300_000, 7);
    await writeAll(await written.createWriteStream('/ferrite/a.bin'), data);
    const position = await written.position('/ferrite/a.bin');
    await written.unmount();
    await a.library.unload(0);

    // Out of A's slot 1 onto the shelf, into B's import/export slot (its last, slot 4).
    assert.deepEqual(await removeCartridge(dirA, 'FER001L9'), { slot: 1 });
    assert.equal((await a.library.status()).slots[0].barcode, null);
    assert.deepEqual(await insertCartridge(dirB, 'FER001L9'), { slot: 4 });
    assert.equal(await holder('FER001L9'), dirB);
    const inB = await b.library.status();
    assert.deepEqual(
      inB.slots.map((s) => [s.slot, s.barcode, s.importExport]),
      [
        [1, 'FER101L9', false],
        [2, null, false],
        [3, null, false],
        [4, 'FER001L9', true],
      ],
    );

    await b.library.load(4, 1);
    const info = await b.drives[1].loaded();
    assert.equal(info?.formatted, true);
    assert.equal(info?.barcode, 'FER001L9');
    const read = await b.drives[1].mount({ readOnly: true });
    assert.deepEqual(await readAll(read.createReadStream('/ferrite/a.bin')), data);
    assert.deepEqual(await read.position('/ferrite/a.bin'), position);
    await read.unmount();

    // A no longer sees it, even if its library.json is edited by hand to list it again.
    await updateLibraryState(dirA, (s) => {
      s!.slots[0] = 'FER001L9';
      return { write: s!, result: undefined };
    });
    assert.equal((await a.library.status()).slots[0].barcode, null);
    await rejectsWith(a.library.load(1, 0), 'SLOT_EMPTY');
  });

  it('does not let library B take a cartridge library A holds', async () => {
    await openA();
    const b = await openB();
    const before = await snapshot();
    await rejectsOperator(insertCartridge(dirB, 'FER001L9'), 'HELD_BY_OTHER_LIBRARY');
    assert.deepEqual(await snapshot(), before);

    // A hand edit of B's library.json does not make B see it either, nor load it.
    await updateLibraryState(dirB, (s) => {
      s!.slots[1] = 'FER001L9';
      return { write: s!, result: undefined };
    });
    assert.equal((await b.library.status()).slots[1].barcode, null);
    const refused = await rejectsWith(b.library.load(2, 0), 'SLOT_EMPTY');
    assert.match(refused.message, /lib-a/);
    assert.equal(await holder('FER001L9'), dirA);

    // Once A's library.json no longer lists it (taken out by hand), A's claim is stale: B's next
    // inventory claims it.
    await updateLibraryState(dirA, (s) => {
      s!.slots[0] = null;
      return { write: s!, result: undefined };
    });
    assert.equal((await b.library.status()).slots[1].barcode, 'FER001L9');
    assert.equal(await holder('FER001L9'), dirB);
  });

  it('treats the claim of a deleted library as stale', async () => {
    await openA();
    const b = await openB();
    await writeFile(path.join(dirA, 'library.json'), '{"format":1,"name":"lib-a","serial":"X","slots":[],"drives":[]}\n');
    assert.deepEqual(await insertCartridge(dirB, 'FER002L9', { slot: 2 }), { slot: 2 });
    assert.equal((await b.library.status()).slots[1].barcode, 'FER002L9');
  });

  it('refuses bad operator commands and changes nothing', async () => {
    const a = await openA();
    await openB();
    await a.library.load(2, 0);
    const before = await snapshot();
    const refusals: Array<[string[], RegExp]> = [
      [['remove', '--library', dirA, 'FER002L9'], /IN_DRIVE: FER002L9 is loaded in drive0 of library lib-a/],
      [['remove', '--library', dirA, 'FER101L9'], /NOT_IN_LIBRARY: FER101L9 is in no slot of library lib-a/],
      [['insert', '--library', dirB, 'FER001L9'], /HELD_BY_OTHER_LIBRARY: FER001L9 is in library lib-a/],
      [['insert', '--library', dirB, '../etc'], /INVALID_BARCODE: invalid barcode/],
      [['insert', '--library', dirB, 'NOPE01L9'], /NOT_ON_SHELF: no cartridge NOPE01L9 on the shelf.*--new/],
      [['insert', '--library', dirB, 'NEW001L9', '--new', '--slot', '1'], /SLOT_OCCUPIED: slot 1 of library lib-b already holds FER101L9/],
      [['insert', '--library', dirB, 'NEW001L9', '--new', '--slot', '9'], /UNKNOWN_SLOT: library lib-b has no slot 9/],
      [['insert', '--library', dirB, 'FER101L9'], /ALREADY_IN_LIBRARY: FER101L9 is already in slot 1/],
      [['insert', '--library', path.join(root, 'nowhere'), 'FER001L9'], /NO_LIBRARY: no emulated library in/],
    ];
    for (const [args, expected] of refusals) {
      const { code, stderr } = await runCli(args);
      assert.equal(code, 1, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, expected);
      assert.deepEqual(await snapshot(), before, `${args.join(' ')} changed nothing`);
    }
    for (const args of [
      ['insert', 'FER001L9'],
      ['remove', '--library', dirA],
      ['shuffle', '--library', dirA],
      ['insert', '--library', dirB, 'X1', '--slot', 'two'],
    ]) {
      const { code, stderr } = await runCli(args);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, /usage: ferrite-emulated/);
    }
    assert.deepEqual(await snapshot(), before);

    // A full library: fill B's free slots, then one more is refused.
    await insertCartridge(dirB, 'NEW001L9', { newCartridge: true });
    await insertCartridge(dirB, 'NEW002L9', { newCartridge: true });
    await insertCartridge(dirB, 'NEW003L9', { newCartridge: true });
    const full = await snapshot();
    await rejectsOperator(insertCartridge(dirB, 'NEW004L9', { newCartridge: true }), 'LIBRARY_FULL');
    assert.deepEqual(await snapshot(), full);
  });

  it('moves tapes with the CLI and lists where every cartridge is', async () => {
    await openA();
    const b = await openB();
    let r = await runCli(['remove', '--library', dirA, 'FER003L9']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FER003L9 taken out of slot 3/);
    r = await runCli(['insert', '--library', dirB, 'FER003L9', '--slot', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FER003L9 put in slot 2/);
    assert.equal((await b.library.status()).slots[1].barcode, 'FER003L9');

    r = await runCli(['remove', '--library', dirA, 'FER002L9']);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli(['list', '--library', dirB]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /library lib-b/);
    assert.match(r.stdout, /shelf .*shelf \(shared\)/);
    assert.match(r.stdout, /\n\s+2\s+FER003L9\n/);
    assert.match(r.stdout, /\n\s+4 i\/e\s+-\n/);
    assert.match(r.stdout, /FER002L9\s+blank\s+on the shelf/);
    assert.match(r.stdout, /FER001L9\s+blank\s+in library lib-a/);

    const listing = await listLibrary(dirB);
    assert.deepEqual(Object.fromEntries(listing.shelfCartridges.map((c) => [c.barcode, c.heldBy?.name ?? 'shelf'])), {
      CLN001L1: 'lib-a',
      FER001L9: 'lib-a',
      FER002L9: 'shelf',
      FER003L9: 'lib-b',
      FER101L9: 'lib-b',
    });
  });

  it('without a shelfDir keeps cartridges in the library directory and no holder records', async () => {
    const { library } = await open(dirA);
    assert.deepEqual((await readdir(dirA)).sort(), ['cartridges', 'library.json']);
    assert.equal((await readLibraryState(dirA))?.shelfDir, undefined);
    // The operator tool still takes cartridges out and puts them back (the library's own shelf).
    assert.deepEqual(await removeCartridge(dirA, 'FER002L9'), { slot: 2 });
    assert.equal((await library.status()).slots[1].barcode, null);
    assert.deepEqual(await insertCartridge(dirA, 'FER002L9'), { slot: 2 });
    assert.equal((await library.status()).slots[1].barcode, 'FER002L9');
    assert.deepEqual((await readdir(dirA)).sort(), ['cartridges', 'library.json']);
  });
});

describe('shelfDir in the agent configuration', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('ferrite-shelf-config-')));
  afterEach(async () => cleanup());

  it('resolves it against the config file and shares it between the libraries that name it (one agent or several)', async () => {
    const lib = (name: string, barcodes: string[]) => ({
      backend: 'emulated',
      name,
      dir: name,
      shelfDir: 'shelf',
      slots: 4,
      drives: 1,
      generation: 9,
      barcodes,
    });
    const file = path.join(dir, 'agent.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'tape-01',
        server: 'localhost:50051',
        allowedBackupRoots: ['/srv/data'],
        allowedRestoreRoots: ['/srv/restores'],
        stateDir: 'state',
        logLevel: 'silent',
        libraries: [lib('lib1', ['FER001L9']), lib('lib2', ['FER002L9']), { ...lib('lib3', ['FER003L9']), shelfDir: undefined }],
      }),
    );
    const config = await loadAgentConfig({}, ['--config', file]);
    assert.deepEqual(
      config.libraries.map((l) => (l.backend === 'emulated' ? l.shelfDir : null)),
      [path.join(dir, 'shelf'), path.join(dir, 'shelf'), undefined],
    );
    // One agent names its emulated drives drive0..: each library here stands for another agent.
    for (const library of config.libraries) await openDriveSet({ ...config, libraries: [library] });
    assert.deepEqual(await readdir(path.join(dir, 'shelf', 'cartridges')), ['FER001L9', 'FER002L9']);
    assert.deepEqual(await readdir(path.join(dir, 'lib3', 'cartridges')), ['FER003L9']);
    assert.equal((await readJson(path.join(dir, 'shelf', 'holders', 'FER002L9.json'))).name, 'lib2');
  });
});

describe('withFileLock', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('ferrite-lock-')));
  afterEach(async () => cleanup());

  it('serializes critical sections', async () => {
    const lock = path.join(dir, 'x.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(lock, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    assert.equal(most, 1);
    assert.deepEqual(await readdir(dir), [], 'the lock file is gone');
  });

  it('breaks a lock left by a dead process', async () => {
    await mkdir(dir, { recursive: true });
    const lock = path.join(dir, 'x.lock');
    await writeFile(lock, '999999999 deadbeef\n'); // no such pid
    assert.equal(await withFileLock(lock, async () => 'ran', { timeoutMs: 1000 }), 'ran');
  });

  it('times out on a lock a live process holds', async () => {
    const lock = path.join(dir, 'x.lock');
    await writeFile(lock, `${process.pid} cafe\n`);
    await assert.rejects(
      withFileLock(lock, async () => 'ran', { timeoutMs: 100 }),
      /timed out .* held by process/,
    );
  });
});
