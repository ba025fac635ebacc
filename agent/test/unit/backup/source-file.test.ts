// A file swapped between the scan and the read must be skipped, never waited on: a FIFO opened for
// reading without a writer blocks forever, a symlink would back up its target. Real files and FIFOs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { hashingCopy } from '../../../src/backup/hashing-copy.js';
import { readSmallFiles } from '../../../src/backup/small-file-reader.js';
import { openSourceFile, SourceSkipped } from '../../../src/backup/source-file.js';

describe('opening a source file to back up', { timeout: 20_000 }, () => {
  let dir: string;
  let fifo: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ferrite-source-file-'));
    fifo = path.join(dir, 'was a file, now a fifo');
    execFileSync('mkfifo', [fifo]);
    await writeFile(path.join(dir, 'regular'), 'bytes');
    await symlink('regular', path.join(dir, 'now a symlink'));
    await mkdir(path.join(dir, 'now a directory'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('opens a regular file', async () => {
    const file = await openSourceFile(path.join(dir, 'regular'));
    assert.equal((await file.readFile('utf8')).toString(), 'bytes');
    await file.close();
  });

  for (const [name, code] of [
    ['was a file, now a fifo', 'NOT_REGULAR'],
    ['now a symlink', 'ELOOP'],
    ['now a directory', 'NOT_REGULAR'],
    ['gone', 'ENOENT'],
  ] as const) {
    it(`skips a file that ${name.replace('was a file, ', '')}: ${code}, at once`, async () => {
      await assert.rejects(openSourceFile(path.join(dir, name)), (err: SourceSkipped) => err instanceof SourceSkipped && err.code === code);
    });
  }

  it('a large file swapped for a FIFO: hashingCopy refuses before anything is written to tape', async () => {
    let opened = false;
    const out = async () => {
      opened = true;
      return new Writable({ write: (_c, _e, cb) => cb() });
    };
    await assert.rejects(
      hashingCopy(fifo, out, () => {}),
      (err: SourceSkipped) => err.code === 'NOT_REGULAR',
    );
    assert.equal(opened, false, 'no object was opened on tape');
  });

  it('small files swapped for a FIFO or a symlink are reported unreadable, the others read', async () => {
    const items = ['regular', 'was a file, now a fifo', 'now a symlink'].map((n) => ({ path: path.join(dir, n), size: 5 }));
    const results = new Map<string, string>();
    for await (const { item, result } of readSmallFiles(items))
      results.set(path.basename(item.path), result instanceof Error ? `error ${(result as NodeJS.ErrnoException).code}` : result.toString());
    assert.deepEqual(Object.fromEntries(results), { regular: 'bytes', 'was a file, now a fifo': 'error NOT_REGULAR', 'now a symlink': 'error ELOOP' });
  });
});
