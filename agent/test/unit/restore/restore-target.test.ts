import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, mkdir, symlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mapRestorePath, RestoreTargetError, validateTargetDirectory } from '../../../src/restore/restore-target.js';
import { SafeTree } from '../../../src/restore/safe-tree.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as RestoreTargetError).code;
  }
  return 'NO_ERROR';
};

describe('validateTargetDirectory', () => {
  const roots = ['/srv/restores', '/tmp/r'];
  it('accepts a directory under an allowed root, and the root itself', () => {
    assert.equal(validateTargetDirectory('/srv/restores/job1', roots), '/srv/restores/job1');
    assert.equal(validateTargetDirectory('/tmp/r', roots), '/tmp/r');
  });
  it('refuses relative paths and `..` components', () => {
    assert.equal(
      codeOf(() => validateTargetDirectory('restores/x', roots)),
      'RESTORE_TARGET_INVALID',
    );
    assert.equal(
      codeOf(() => validateTargetDirectory('/srv/restores/../etc', roots)),
      'RESTORE_TARGET_INVALID',
    );
  });
  it('refuses directories outside the roots, including look-alike prefixes', () => {
    assert.equal(
      codeOf(() => validateTargetDirectory('/etc', roots)),
      'RESTORE_TARGET_NOT_ALLOWED',
    );
    assert.equal(
      codeOf(() => validateTargetDirectory('/srv/restores-evil', roots)),
      'RESTORE_TARGET_NOT_ALLOWED',
    );
  });
});

describe('mapRestorePath', () => {
  it('strips the prefix component-wise and keeps the rest', () => {
    assert.equal(mapRestorePath('/t', '/data/src', '/data/src/a/b.txt'), '/t/a/b.txt');
    assert.equal(mapRestorePath('/t', '/data/src/', '/data/src'), '/t');
    assert.equal(mapRestorePath('/t', '/data/src', '/data/srcother/x'), '/t/data/srcother/x');
    assert.equal(mapRestorePath('/t', '', '/home/u/new\nline "q".txt'), '/t/home/u/new\nline "q".txt');
  });
  it('refuses entries with . or .. components', () => {
    assert.equal(
      codeOf(() => mapRestorePath('/t', '', '/a/../../etc/passwd')),
      'RESTORE_PATH_ESCAPES',
    );
    assert.equal(
      codeOf(() => mapRestorePath('/t', '', '/a/./b')),
      'RESTORE_PATH_ESCAPES',
    );
  });
});

describe('SafeTree', () => {
  it('makes missing directories and refuses a symlink on the way instead of following it', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-escape-'));
    const tree = await SafeTree.open(path.join(tmp, 'target'), () => true);
    try {
      const target = path.join(tmp, 'target');
      await mkdir(path.join(target, 'ok'), { recursive: true });
      await symlink('/etc', path.join(target, 'evil'));
      const made = await tree.parentOf(path.join(target, 'new', 'deeper', 'file'));
      assert.equal(made.name, 'file');
      await made.parent.close();
      assert.ok((await lstat(path.join(target, 'new', 'deeper'))).isDirectory());
      await assert.rejects(tree.parentOf(path.join(target, 'evil', 'passwd')), (err: RestoreTargetError) => err.code === 'RESTORE_PATH_ESCAPES');
      await assert.rejects(tree.directory(path.join(target, 'evil'), true), (err: RestoreTargetError) => err.code === 'RESTORE_PATH_ESCAPES');
    } finally {
      await tree.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('refuses a target that leads outside the allowed roots once opened', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-escape-'));
    try {
      await symlink('/etc', path.join(tmp, 'link'));
      await assert.rejects(
        SafeTree.open(path.join(tmp, 'link'), (real) => real.startsWith(tmp)),
        (err: RestoreTargetError) => err.code === 'RESTORE_TARGET_NOT_ALLOWED',
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
