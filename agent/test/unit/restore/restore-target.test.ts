import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, symlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertNoEscapeOnDisk, mapRestorePath, RestoreTargetError, validateTargetDirectory } from '../../../src/restore/restore-target.js';

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

describe('assertNoEscapeOnDisk', () => {
  it('refuses a destination reached through a symlink leaving the target', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-escape-'));
    try {
      const target = path.join(tmp, 'target');
      await mkdir(path.join(target, 'ok'), { recursive: true });
      await symlink('/etc', path.join(target, 'evil'));
      await assertNoEscapeOnDisk(target, path.join(target, 'ok', 'file'));
      await assertNoEscapeOnDisk(target, path.join(target, 'new', 'deeper', 'file'));
      await assert.rejects(assertNoEscapeOnDisk(target, path.join(target, 'evil', 'passwd')), (err: RestoreTargetError) => err.code === 'RESTORE_PATH_ESCAPES');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
