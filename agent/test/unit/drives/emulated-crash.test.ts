// A process that dies with a volume mounted: the cartridge stays dirty, and check() brings the
// volume back to its last synced index, like ltfsck.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BLOCK_SIZE } from '../../../src/drives/drive.js';
import { config, open, readAll, readJson, rejectsWith, tempDir, writeAll } from './emulated-fixture.js';

const moduleUrl = new URL('../../../src/drives/emulated/index.js', import.meta.url).href;

// Runs in a child process: writes, syncs, writes more, then waits to be killed.
const childScript = `
const { openEmulatedLibrary } = await import(process.env.EMU_MODULE);
const { pipeline } = await import('node:stream/promises');
const { Readable } = await import('node:stream');
const write = async (volume, p, data) => pipeline(Readable.from([data]), await volume.createWriteStream(p));
const { library, drives } = await openEmulatedLibrary(JSON.parse(process.env.EMU_CONFIG));
await library.load(1, 0);
await drives[0].format({ barcode: 'FER001L9', force: false });
const volume = await drives[0].mount();
await write(volume, 'kept/a.txt', Buffer.from('0123456789'));
await write(volume, 'kept/b.bin', Buffer.alloc(${BLOCK_SIZE + 1}, 7));
await write(volume, 'replaced.txt', Buffer.from('12345'));
await volume.sync();
await write(volume, 'lost/c.txt', Buffer.from('not synced'));
await write(volume, 'replaced.txt', Buffer.from('1234567890'));
const open = await volume.createWriteStream('lost/open.bin');
open.write(Buffer.alloc(1000, 1));
process.stdout.write('READY\\n');
setInterval(() => {}, 1000);
`;

async function runAndKill(env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', childScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('emulated volume after a crash', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    await runAndKill({ EMU_MODULE: moduleUrl, EMU_CONFIG: JSON.stringify(config(dir)) });
  });
  after(async () => cleanup());

  it('leaves the cartridge dirty and refuses a read-write mount', async () => {
    const { drives } = await open(dir);
    const info = await drives[0].loaded();
    assert.equal(info?.barcode, 'FER001L9');
    assert.equal(info?.dirty, true);
    assert.equal(info?.usedBytes, 4 * BLOCK_SIZE, 'as of the last synced index');
    await rejectsWith(drives[0].mount(), 'VOLUME_DIRTY');
  });

  it('still mounts read-only, showing the last synced index', async () => {
    const { drives } = await open(dir);
    const volume = await drives[0].mount({ readOnly: true });
    assert.deepEqual(await volume.list(''), ['kept/a.txt', 'kept/b.bin', 'replaced.txt']);
    assert.deepEqual(await readAll(volume.createReadStream('kept/a.txt')), Buffer.from('0123456789'));
    await volume.unmount();
  });

  it('check() recovers the last synced index and reports the lost files', async () => {
    const { drives } = await open(dir);
    const result = await drives[0].check();
    assert.deepEqual(result, { repaired: true, lostFiles: ['lost/c.txt', 'lost/open.bin', 'replaced.txt'] });
    const root = path.join(dir, 'cartridges/FER001L9/volume');
    assert.deepEqual((await readdir(root)).sort(), ['kept']);
    const state = await readJson(path.join(dir, 'cartridges/FER001L9/cartridge.json'));
    assert.equal(state.dirty, false);
    assert.equal(state.nextBlock.b, 4);
    assert.deepEqual(await drives[0].check(), { repaired: false, lostFiles: [] });
  });

  it('mounts read-write after the check and appends after the recovered index', async () => {
    const { drives } = await open(dir);
    const volume = await drives[0].mount();
    assert.deepEqual(await volume.list(''), ['kept/a.txt', 'kept/b.bin']);
    assert.deepEqual(await volume.position('kept/b.bin'), { partition: 'b', startBlock: 1, size: BLOCK_SIZE + 1 });
    await writeAll(await volume.createWriteStream('after.txt'), Buffer.from('x'));
    assert.equal((await volume.position('after.txt')).startBlock, 4);
    await volume.unmount();
  });
});
