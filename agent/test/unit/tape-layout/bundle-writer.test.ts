import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { BundleWriter, type BundleMember } from '../../../src/tape-layout/bundle-writer.js';

const run = promisify(execFile);

function content(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + seed * 13) & 0xff;
  return b;
}

const MTIME = Date.UTC(2024, 4, 17, 10, 20, 30);

const members: BundleMember[] = [
  { name: 'plain.txt', data: content(4096, 1), mode: 0o644, mtimeMs: MTIME },
  { name: 'empty', data: Buffer.alloc(0), mode: 0o600, mtimeMs: MTIME + 1000 },
  { name: 'dir with spaces/file "quoted" \'single\'.txt', data: content(1, 2), mode: 0o640, mtimeMs: MTIME },
  { name: 'unicode/日本語/ファイル-é.txt', data: content(511, 3), mode: 0o755, mtimeMs: MTIME },
  { name: `long/${'d'.repeat(120)}/${'f'.repeat(150)}.bin`, data: content(513, 4), mode: 0o644, mtimeMs: MTIME },
  { name: `x${'y'.repeat(200)}`, data: content(100, 5), mode: 0o444, mtimeMs: MTIME },
  { name: 'new\nline.txt', data: content(1024, 6), mode: 0o644, mtimeMs: MTIME },
  { name: 'big.bin', data: content(300 * 1024 + 17, 7), mode: 0o644, mtimeMs: MTIME },
  { name: 'no-perms', data: content(3, 8), mode: 0o000, mtimeMs: MTIME },
  { name: 'old.txt', data: content(10, 9), mode: 0o644, mtimeMs: Date.UTC(1960, 0, 1) },
].map((m) => ({ ...m, size: m.data.length }));

describe('BundleWriter', () => {
  let tmp: string;
  let bundle: string;
  let locations: { offset: number; length: number }[];
  let bytesWritten: number;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-bundle-'));
    bundle = path.join(tmp, '000001.tar');
    const writer = new BundleWriter(createWriteStream(bundle));
    locations = [];
    for (const m of members) locations.push(await writer.add(m));
    await writer.finish();
    bytesWritten = writer.bytesWritten;
  });
  after(async () => rm(tmp, { recursive: true, force: true }));

  it('reports the bundle size as bytesWritten, in whole tar blocks', async () => {
    assert.equal((await stat(bundle)).size, bytesWritten);
    assert.equal(bytesWritten % 512, 0);
  });

  it('returns offsets where each member data lies in the bundle', async () => {
    const bytes = await readFile(bundle);
    members.forEach((m, i) => {
      const { offset, length } = locations[i];
      assert.equal(length, m.data.length, m.name);
      assert.equal(offset % 512, 0, `${m.name}: data starts on a tar block`);
      assert.deepEqual(bytes.subarray(offset, offset + length), m.data, m.name);
    });
    const offsets = locations.map((l) => l.offset);
    assert.deepEqual(
      [...offsets].sort((a, b) => a - b),
      offsets,
      'members are in call order',
    );
  });

  it('is listed by tar -tf with every exact name', async () => {
    const { stdout } = await run('tar', ['--quoting-style=literal', '-tf', bundle], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    assert.equal(stdout, members.map((m) => `${m.name}\n`).join(''));
  });

  it('is extracted by tar -xf with identical bytes, modes and mtimes', async () => {
    const out = path.join(tmp, 'extracted');
    await mkdir(out);
    await run('tar', ['-xf', bundle, '-C', out, '--no-same-owner'], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    for (const m of members) {
      const file = path.join(out, m.name);
      assert.deepEqual(await readFile(file), m.data, m.name);
      const st = await stat(file);
      assert.equal(st.mode & 0o7777, m.mode, `${m.name} mode`);
      assert.equal(st.mtimeMs, Math.floor(m.mtimeMs / 1000) * 1000, `${m.name} mtime`);
    }
  });

  it('refuses a size that does not match the data, and bad names', async () => {
    const writer = new BundleWriter(new Writable({ write: (_c, _e, cb) => cb() }));
    await assert.rejects(writer.add({ name: 'a', size: 5, mode: 0o644, mtimeMs: MTIME, data: Buffer.alloc(4) }), RangeError);
    await assert.rejects(writer.add({ name: 'dir/', size: 0, mode: 0o644, mtimeMs: MTIME, data: Buffer.alloc(0) }), RangeError);
    await assert.rejects(writer.add({ name: '', size: 0, mode: 0o644, mtimeMs: MTIME, data: Buffer.alloc(0) }), RangeError);
    const ok = await writer.add({ name: 'a', size: 1, mode: 0o644, mtimeMs: MTIME, data: Buffer.alloc(1) });
    assert.equal(ok.offset, 512, 'a refused member leaves no trace in the bundle');
  });

  it('respects backpressure from a slow output', async () => {
    let inFlight = 0;
    let maxBuffered = 0;
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _e, cb) {
        inFlight++;
        chunks.push(chunk);
        setTimeout(() => {
          inFlight--;
          cb();
        }, 1);
      },
    });
    const writer = new BundleWriter(slow);
    for (let i = 0; i < 400; i++) {
      await writer.add({ name: `f${i}`, size: 16 * 1024, mode: 0o644, mtimeMs: MTIME, data: content(16 * 1024, i) });
      maxBuffered = Math.max(maxBuffered, slow.writableLength);
    }
    await writer.finish();
    assert.equal(inFlight, 0);
    assert.ok(maxBuffered <= 2 * 1024 * 1024, `output buffered up to ${maxBuffered} bytes`);
    assert.equal(Buffer.concat(chunks).length, writer.bytesWritten);
  });

  it('fails add() and finish() when the output fails', async () => {
    const failing = new Writable({
      write(_chunk, _e, cb) {
        cb(new Error('tape full'));
      },
    });
    const writer = new BundleWriter(failing);
    const big = content(2 * 1024 * 1024, 1); // large enough to be written straight away
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 4; i++) await writer.add({ name: `f${i}`, size: big.length, mode: 0o644, mtimeMs: MTIME, data: big });
      })(),
      /tape full/,
    );
    await assert.rejects(writer.finish(), /tape full/);
  });
});
