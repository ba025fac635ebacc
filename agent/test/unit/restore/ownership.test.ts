// Which mode bits a restored entry keeps and which owner it gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepsSpecialBits, losesSpecialBits, ownerOf, restoredMode } from '../../../src/restore/ownership.js';
import { OwnerNames, parseNameTable } from '../../../src/backup/owner-names.js';

test("setuid, setgid and sticky bits are kept only as root and with the owner known: a user's setuid program must not come back root's", () => {
  assert.equal(keepsSpecialBits({ uid: 1000, gid: 1000 }, true), true);
  assert.equal(keepsSpecialBits({ uid: 0, gid: 0 }, true), true);
  assert.equal(keepsSpecialBits({ uid: undefined, gid: undefined }, true), false, 'as root, owner unknown: it would stay root');
  assert.equal(keepsSpecialBits({ uid: 1000, gid: undefined }, true), false);
  assert.equal(keepsSpecialBits({ uid: 1000, gid: 1000 }, false), false);
});

test('without keeping them, setuid, setgid and sticky bits are dropped; with it they are kept', () => {
  assert.equal(restoredMode(0o4755, false), 0o755);
  assert.equal(restoredMode(0o2775, false), 0o775);
  assert.equal(restoredMode(0o1777, false), 0o777);
  assert.equal(restoredMode(0o4755, true), 0o4755);
  assert.equal(losesSpecialBits(0o4755, false), true);
  assert.equal(losesSpecialBits(0o755, false), false);
  assert.equal(losesSpecialBits(0o4755, true), false);
});

test('the owner: by name where this host knows it, by number otherwise, none when the catalog does not know', () => {
  const names = OwnerNames.of(parseNameTable('alice:x:1000:1000::/:/bin/sh\n'), parseNameTable('staff:x:50:\n'));
  assert.deepEqual(ownerOf({ uid: 501, gid: 20, owner: 'alice', group: 'staff' }, names), { uid: 1000, gid: 50 });
  assert.deepEqual(ownerOf({ uid: 501, gid: 20, owner: 'bob', group: '' }, names), { uid: 501, gid: 20 });
  assert.deepEqual(ownerOf({ uid: 0, gid: 0, owner: '', group: '' }, names), { uid: 0, gid: 0 });
  assert.equal(ownerOf({ uid: undefined, gid: undefined, owner: '', group: '' }, names), null);
});
