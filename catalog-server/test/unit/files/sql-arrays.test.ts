import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { intArrayLiteral, textArrayLiteral } from '../../../src/modules/files/sql-arrays.js';

describe('array literals', () => {
  it('write integers and nulls', () => {
    assert.equal(intArrayLiteral([1, -2, null, '12345678901234', undefined]), '{1,-2,NULL,12345678901234,NULL}');
    assert.equal(intArrayLiteral([]), '{}');
  });

  it('quote every string and escape only quotes and backslashes, like node-pg', async () => {
    // node-pg's own serializer (untyped internal module) is the reference.
    const pgUtils = 'pg/lib/utils.js';
    const { prepareValue } = (await import(pgUtils)) as { prepareValue(v: unknown): unknown };
    const tricky = ['', 'plain', 'a,b', '{x}', 'q"uote', 'back\\slash', 'new\nline', 'NULL', ' sp ', 'ünï😀', '\\"'];
    assert.equal(textArrayLiteral([...tricky, null]), prepareValue([...tricky, null]));
  });
});
