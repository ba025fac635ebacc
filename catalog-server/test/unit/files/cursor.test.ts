import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, decodeCursor, encodeCursor, queryHash } from '../../../src/modules/files/cursor.js';
import { thrownCode } from '../../support/error-codes.js';

describe('cursors', () => {
  it('round-trip a key for the same query', () => {
    const q = queryHash({ files: { host: 'h', includeDeleted: false } });
    const c = encodeCursor(['123'], q);
    assert.match(c, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(c, q, 1), ['123']);
  });

  it('hash filters independently of key order and absent members', () => {
    assert.equal(queryHash({ a: 1, b: 'x', c: undefined }), queryHash({ b: 'x', a: 1, d: null }));
    assert.notEqual(queryHash({ a: 1 }), queryHash({ a: 2 }));
    assert.equal(canonicalJson({ d: new Date(0) }), '{"d":"1970-01-01T00:00:00.000Z"}');
  });

  it('refuse a cursor from another query', () => {
    const c = encodeCursor(['5'], queryHash({ nameGlob: '*.mov' }));
    assert.equal(
      thrownCode(() => decodeCursor(c, queryHash({ nameGlob: '*.jpg' }), 1)),
      'INVALID_CURSOR',
    );
  });

  it('refuse garbage, wrong versions and wrong arity', () => {
    const q = queryHash({});
    assert.equal(
      thrownCode(() => decodeCursor('not a cursor!', q, 1)),
      'INVALID_CURSOR',
    );
    assert.equal(
      thrownCode(() => decodeCursor('', q, 1)),
      'INVALID_CURSOR',
    );
    assert.equal(
      thrownCode(() => decodeCursor(Buffer.from('{"v":9,"k":["1"],"q":"' + q + '"}').toString('base64url'), q, 1)),
      'INVALID_CURSOR',
    );
    assert.equal(
      thrownCode(() => decodeCursor(Buffer.from('[1,2]').toString('base64url'), q, 1)),
      'INVALID_CURSOR',
    );
    assert.equal(
      thrownCode(() => decodeCursor(encodeCursor(['1', '2'], q), q, 1)),
      'INVALID_CURSOR',
    );
    assert.equal(
      thrownCode(() => decodeCursor(Buffer.from('{"v":1,"k":[{}],"q":"' + q + '"}').toString('base64url'), q, 1)),
      'INVALID_CURSOR',
    );
  });
});
