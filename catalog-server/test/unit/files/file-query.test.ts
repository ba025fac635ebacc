import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPageSize, normalizeFileFilter } from '../../../src/modules/files/file-query.js';

describe('normalizeFileFilter', () => {
  it('translates the glob and normalizes the prefix', () => {
    const f = normalizeFileFilter({ nameGlob: '*.mov', caseInsensitive: true, pathPrefix: '/data/' });
    assert.deepEqual(f.name, { kind: 'like', pattern: '%.mov', glob: '*.mov', caseInsensitive: true });
    assert.equal(f.pathPrefix, '/data');
    assert.equal(f.includeDeleted, false);
  });

  it('rejects inverted ranges with INVALID_RANGE', () => {
    assert.throws(() => normalizeFileFilter({ sizeMin: 10, sizeMax: 5 }), { code: 'INVALID_RANGE' });
    assert.throws(() => normalizeFileFilter({ modifiedAfter: new Date(2000), modifiedBefore: new Date(1000) }), { code: 'INVALID_RANGE' });
    assert.throws(() => normalizeFileFilter({ archivedAfter: new Date(2000), archivedBefore: new Date(1000) }), { code: 'INVALID_RANGE' });
    assert.doesNotThrow(() => normalizeFileFilter({ sizeMin: 5, sizeMax: 5 }));
  });

  it('rejects bad values with clear codes', () => {
    assert.throws(() => normalizeFileFilter({ sizeMin: -1 }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => normalizeFileFilter({ sizeMax: 1.5 }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => normalizeFileFilter({ sha256: 'abc' }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => normalizeFileFilter({ modifiedAfter: new Date(Number.NaN) }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => normalizeFileFilter({ pathPrefix: 'data' }), { code: 'INVALID_PATH' });
    assert.throws(() => normalizeFileFilter({ nameGlob: '[x' }), { code: 'INVALID_GLOB' });
    assert.equal(normalizeFileFilter({ sha256: 'AB'.repeat(32) }).sha256Hex, 'ab'.repeat(32));
  });

  it('bounds the page size to 1..1000', () => {
    assert.equal(checkPageSize(undefined), 50);
    assert.equal(checkPageSize(1000), 1000);
    for (const bad of [0, -1, 1001, 2.5]) assert.throws(() => checkPageSize(bad), { code: 'INVALID_ARGUMENT' });
  });
});
