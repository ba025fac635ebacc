import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseName, escapeLike, isUnderOrEqual, joinPath, normalizePath, parentPath, pathProblem } from '../../../src/modules/files/paths.js';

describe('paths', () => {
  it('split and join exactly, whatever the characters', () => {
    for (const p of ['/a', '/a b/c d', '/dàta/ünï/😀', '/q\'u"ote/x', '/new\nline/y', '/100%/a_b', '/back\\slash/[x]']) {
      assert.equal(joinPath(parentPath(p)!, baseName(p)), p);
    }
    assert.equal(parentPath('/'), null);
    assert.equal(baseName('/'), '');
    assert.equal(parentPath('/a'), '/');
    assert.equal(joinPath('/', ''), '/');
    assert.equal(joinPath('/', 'x'), '/x');
  });

  it('compare prefixes by whole components', () => {
    assert.ok(isUnderOrEqual('/data/a', '/data/a'));
    assert.ok(isUnderOrEqual('/data/a/b', '/data/a'));
    assert.ok(!isUnderOrEqual('/data/ab', '/data/a'));
    assert.ok(!isUnderOrEqual('/data', '/data/a'));
    assert.ok(isUnderOrEqual('/anything', '/'));
  });

  it('normalize trailing slashes and reject malformed paths', () => {
    assert.equal(normalizePath('/data/'), '/data');
    assert.equal(normalizePath('///'), '/');
    assert.equal(pathProblem('relative/x')?.includes('absolute'), true);
    assert.equal(pathProblem('/a//b')?.includes('empty'), true);
    assert.equal(pathProblem('/a/../b')?.includes('".."'), true);
    assert.equal(pathProblem('/a/./b')?.includes('"."'), true);
    assert.equal(pathProblem('/a\0b')?.includes('NUL'), true);
    assert.equal(pathProblem(''), 'the path is empty');
    assert.throws(() => normalizePath('x'), { code: 'INVALID_PATH' });
  });

  it('escape LIKE metacharacters', () => {
    assert.equal(escapeLike('100%_a\\b'), '100\\%\\_a\\\\b');
  });
});
