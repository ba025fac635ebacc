import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rm, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { batchBySize, readSmallFiles } from '../../../src/backup/small-file-reader.js';
import { FsBatchWorker } from '../../../src/backup/fs-batch.js';

describe('batchBySize', () => {
  it('cuts batches at the file count and at the byte budget, keeping order', () => {
    const sizes = [5, 5, 5, 5, 5, 20, 1];
    assert.deepEqual(
      batchBySize(sizes, (s) => s, 3, 12),
      [[5, 5], [5, 5], [5], [20], [1]],
    );
    assert.deepEqual(
      batchBySize(sizes, (s) => s, 2, 1000),
      [[5, 5], [5, 5], [5, 20], [1]],
    );
    assert.deepEqual(
      batchBySize([], (s: number) => s),
      [],
    );
  });
});

describe('readSmallFiles', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-small-'));
    await mkdir(path.join(tmp, 'd'));
    for (let i = 0; i < 600; i++) await writeFile(path.join(tmp, 'd', `f${i}`), `content of file ${i}\n`);
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('yields every file whole and in input order across batches', async () => {
    const items = Array.from({ length: 600 }, (_, i) => ({ path: path.join(tmp, 'd', `f${i}`), size: 20 }));
    const seen: string[] = [];
    for await (const { item, result } of readSmallFiles(items)) {
      assert.ok(Buffer.isBuffer(result), `${item.path} was not read`);
      seen.push(result.toString());
    }
    assert.equal(seen.length, 600);
    seen.forEach((s, i) => assert.equal(s, `content of file ${i}\n`));
  });

  it('gives a missing file its errno code and reads a file that grew since the scan whole', async () => {
    const grown = path.join(tmp, 'grown');
    await writeFile(grown, 'x');
    await appendFile(grown, 'y'.repeat(100_000));
    const items = [
      { path: path.join(tmp, 'missing'), size: 10 },
      { path: grown, size: 1 },
    ];
    const out = [];
    for await (const r of readSmallFiles(items)) out.push(r);
    assert.ok(out[0].result instanceof Error);
    assert.equal((out[0].result as NodeJS.ErrnoException).code, 'ENOENT');
    assert.equal((out[1].result as Buffer).length, 100_001);
  });

  it('stops its worker when the reader is abandoned half way', async () => {
    const items = Array.from({ length: 600 }, (_, i) => ({ path: path.join(tmp, 'd', `f${i}`), size: 20 }));
    let n = 0;
    for await (const _ of readSmallFiles(items)) if (++n === 10) break;
    assert.equal(n, 10);
  });
});

describe('FsBatchWorker.lstat', () => {
  it('reports kinds without following symlinks, and errors by code', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-lstat-'));
    const w = new FsBatchWorker();
    try {
      await writeFile(path.join(tmp, 'f'), 'abc');
      await symlink('f', path.join(tmp, 'l'));
      const [dir, file, link, gone] = await w.lstat([tmp, path.join(tmp, 'f'), path.join(tmp, 'l'), path.join(tmp, 'nope')]);
      assert.ok(dir.ok && dir.kind === 'directory');
      assert.ok(file.ok && file.kind === 'file' && file.size === 3);
      assert.ok(link.ok && link.kind === 'symlink');
      assert.ok(!gone.ok && gone.code === 'ENOENT');
    } finally {
      await w.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
