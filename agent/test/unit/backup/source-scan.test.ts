import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compileExcludes, scanSources, SourceNotFoundError } from '../../../src/backup/source-scan.js';

describe('compileExcludes', () => {
  it('matches names at any depth when the pattern has no slash', () => {
    const ex = compileExcludes(['*.tmp', 'node_modules']);
    assert.ok(ex('/a/b/c.tmp'));
    assert.ok(ex('/a/node_modules'));
    assert.ok(!ex('/a/b/c.tmpx'));
    assert.ok(!ex('/a/node_modules_x'));
  });
  it('matches whole absolute paths when the pattern has a slash', () => {
    const ex = compileExcludes(['/data/cache/**']);
    assert.ok(ex('/data/cache/x/y'));
    assert.ok(!ex('/other/data/cache/x'));
  });
});

describe('scanSources', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-scan-'));
    await mkdir(path.join(tmp, 'src/b'), { recursive: true });
    await writeFile(path.join(tmp, 'src/a.txt'), 'aaa');
    await writeFile(path.join(tmp, 'src/b/c.tmp'), 'tmp');
    await writeFile(path.join(tmp, 'src/b/d.txt'), '');
    await symlink('../a.txt', path.join(tmp, 'src/b/link'));
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('lists entries in a stable order without following symlinks, honouring excludes', async () => {
    const entries = await scanSources([path.join(tmp, 'src')], ['*.tmp'], () => {});
    assert.deepEqual(
      entries.map((e) => [path.relative(tmp, e.path), e.type, e.size, e.symlinkTarget]),
      [
        ['src', 'directory', 0, ''],
        ['src/a.txt', 'file', 3, ''],
        ['src/b', 'directory', 0, ''],
        ['src/b/d.txt', 'file', 0, ''],
        ['src/b/link', 'symlink', 0, '../a.txt'],
      ],
    );
  });

  it('fails before reading anything when a root is missing', async () => {
    await assert.rejects(
      scanSources([path.join(tmp, 'src'), path.join(tmp, 'missing')], [], () => {}),
      (err: SourceNotFoundError) => {
        assert.deepEqual(err.missing, [path.join(tmp, 'missing')]);
        return true;
      },
    );
  });
});
