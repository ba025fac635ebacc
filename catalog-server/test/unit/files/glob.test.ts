import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerriteError } from '../../../src/common/errors.js';
import { translateGlob } from '../../../src/modules/files/glob.js';

function globError(glob: string): FerriteError {
  try {
    translateGlob(glob);
  } catch (err) {
    assert.ok(err instanceof FerriteError);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(glob)} to be rejected`);
}

describe('translateGlob', () => {
  it('turns * and ? into LIKE wildcards', () => {
    assert.deepEqual(translateGlob('*.mov'), { kind: 'like', pattern: '%.mov' });
    assert.deepEqual(translateGlob('IMG_*'), { kind: 'like', pattern: 'IMG\\_%' });
    assert.deepEqual(translateGlob('*2024*'), { kind: 'like', pattern: '%2024%' });
    assert.deepEqual(translateGlob('a?c'), { kind: 'like', pattern: 'a_c' });
  });

  it('keeps %, _ and backslash literal in LIKE patterns', () => {
    assert.deepEqual(translateGlob('100%_done'), { kind: 'like', pattern: '100\\%\\_done' });
    assert.deepEqual(translateGlob('a\\\\b'), { kind: 'like', pattern: 'a\\\\b' });
  });

  it('lets a backslash escape glob syntax', () => {
    assert.deepEqual(translateGlob('what\\?'), { kind: 'like', pattern: 'what?' });
    assert.deepEqual(translateGlob('\\*star'), { kind: 'like', pattern: '*star' });
    assert.deepEqual(translateGlob('\\[x]'), { kind: 'like', pattern: '[x]' });
  });

  it('collapses repeated stars', () => {
    assert.deepEqual(translateGlob('a**b'), { kind: 'like', pattern: 'a%b' });
  });

  it('uses an anchored regex when there is a class', () => {
    assert.deepEqual(translateGlob('[abc]*.jpg'), { kind: 'regex', pattern: '^[abc].*\\.jpg$' });
    assert.deepEqual(translateGlob('IMG_[0-9][0-9]?.png'), { kind: 'regex', pattern: '^IMG_[0-9][0-9].\\.png$' });
    assert.deepEqual(translateGlob('[!a-c]x'), { kind: 'regex', pattern: '^[^a-c]x$' });
    assert.deepEqual(translateGlob('[^a]'), { kind: 'regex', pattern: '^[^a]$' });
  });

  it('escapes regex syntax in literals and class members', () => {
    assert.deepEqual(translateGlob('[x](1)+$.txt'), { kind: 'regex', pattern: '^[x]\\(1\\)\\+\\$\\.txt$' });
    assert.deepEqual(translateGlob('[]]'), { kind: 'regex', pattern: '^[\\]]$' });
    assert.deepEqual(translateGlob('[!]]'), { kind: 'regex', pattern: '^[^\\]]$' });
    assert.deepEqual(translateGlob('[a-]'), { kind: 'regex', pattern: '^[a\\-]$' });
    assert.deepEqual(translateGlob('[\\\\^]'), { kind: 'regex', pattern: '^[\\\\\\^]$' });
    assert.deepEqual(translateGlob('[[]'), { kind: 'regex', pattern: '^[\\[]$' });
    assert.deepEqual(translateGlob('%_[x]'), { kind: 'regex', pattern: '^%_[x]$' });
  });

  it('keeps non-ASCII characters whole', () => {
    assert.deepEqual(translateGlob('[é-ü]?😀'), { kind: 'regex', pattern: '^[é-ü].😀$' });
    assert.deepEqual(translateGlob('Ünïcode*'), { kind: 'like', pattern: 'Ünïcode%' });
  });

  it('rejects malformed globs with INVALID_GLOB and says why', () => {
    for (const [glob, words] of [
      ['', /empty/],
      ['abc\\', /lone "\\"/],
      ['[abc', /never closed/],
      ['x[!', /never closed/],
      ['[]', /never closed/],
      ['[z-a]', /reversed/],
      ['[a\\', /lone/],
    ] as const) {
      const err = globError(glob);
      assert.equal(err.code, 'INVALID_GLOB', glob);
      assert.match(err.message, words, glob);
    }
  });
});
