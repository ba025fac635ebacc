import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownerNumberOf, restoreOwnership, storedOwnerNumber } from '../../../src/modules/files/ownership.js';

describe('ownership', () => {
  it('stores every uid and gid an agent can send in an int4 and reads the same number back', () => {
    const numbers = [0, 1, 1000, 65_534, 2 ** 31 - 1, 2 ** 31, 4_294_967_294, 4_294_967_295];
    const stored = numbers.map((n) => storedOwnerNumber(n)!);
    assert.deepEqual(stored, [0, 1, 1000, 65_534, 2 ** 31 - 1, -(2 ** 31), -2, -1]);
    assert.deepEqual(
      stored.map((n) => ownerNumberOf(n)),
      numbers,
    );
    assert.equal(storedOwnerNumber(undefined), null);
    assert.equal(ownerNumberOf(null), null);
  });

  it('gives a restore item no owner when the catalog does not know it, and a known one by number and name', () => {
    assert.deepEqual(restoreOwnership({ uid: null, gid: null, owner: null, group: null }), { uid: undefined, gid: undefined, owner: '', group: '' });
    assert.deepEqual(restoreOwnership({ uid: 0, gid: 0, owner: 'root', group: null }), { uid: 0, gid: 0, owner: 'root', group: '' });
  });
});
