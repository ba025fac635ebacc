import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileExcludes, escapeName, scanSources, SourceNotFoundError, type ScanIssue } from '../../../src/backup/source-scan.js';

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

describe('escapeName', () => {
  it('shows every byte that is not valid UTF-8 as \\xNN and keeps the rest as it is', () => {
    assert.equal(escapeName(Buffer.from([0x66, 0xff])), 'f\\xff');
    // Latin-1 é (e9) alone is not UTF-8; UTF-8 é (c3 a9) is.
    assert.equal(escapeName(Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from('-café')])), 'caf\\xe9-café');
    // A lead byte without its continuation, an overlong form, a lone continuation byte.
    assert.equal(escapeName(Buffer.from([0xe2, 0x82, 0x41])), '\\xe2\\x82A');
    assert.equal(escapeName(Buffer.from([0xc0, 0xaf])), '\\xc0\\xaf');
    assert.equal(escapeName(Buffer.from([0x80])), '\\x80');
    // A backslash is doubled, so a name that spells \xff is told from one that holds ff.
    assert.equal(escapeName(Buffer.from('a\\xff')), 'a\\\\xff');
    assert.equal(escapeName(Buffer.from('\u{1F4BE}\ufffd')), '\u{1F4BE}\ufffd');
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

  it('skips a name that is not valid UTF-8 (and what is under it), reporting it escaped, and keeps its siblings', async () => {
    const dir = path.join(tmp, 'bad-names');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'good.txt'), 'good');
    writeFileSync(Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x66, 0xff])]), 'bad');
    const badDir = Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0xe9, 0x74, 0xe9])]);
    mkdirSync(badDir);
    writeFileSync(Buffer.concat([badDir, Buffer.from('/inside.txt')]), 'x');
    const issues: ScanIssue[] = [];
    const entries = await scanSources([dir], [], (i) => issues.push(i));
    assert.deepEqual(
      entries.map((e) => path.relative(dir, e.path)),
      ['', 'good.txt'],
    );
    assert.deepEqual(issues, [
      { path: `${dir}/f\\xff`, reason: 'name is not valid UTF-8 (shown escaped); skipped', skipped: true },
      { path: `${dir}/\\xe9t\\xe9`, reason: 'name is not valid UTF-8 (shown escaped); skipped', skipped: true },
    ]);
  });
});
