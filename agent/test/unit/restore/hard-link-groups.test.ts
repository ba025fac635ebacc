import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RestoreItem } from '@ferrite/proto';
import { groupOf, HardLinkGroups } from '../../../src/restore/hard-link-groups.js';

const item = (path: string, linkCount: number, hardLinkTo = ''): RestoreItem => ({ path, linkCount, hardLinkTo }) as RestoreItem;

test('an entry belongs to the group of the file whose bytes were written', () => {
  assert.equal(groupOf(item('/s/a', 2)), '/s/a');
  assert.equal(groupOf(item('/s/b', 2, '/s/a')), '/s/a');
  assert.equal(groupOf(item('/s/one', 0)), null);
});

test('the first entry of a group met brings its bytes, whichever it is; the others wait and are linked to it', () => {
  const g = new HardLinkGroups();
  // The link comes first (same tape position): it brings the bytes.
  assert.equal(g.decide(item('/s/b', 2, '/s/a'), '/t/b'), 'restore');
  assert.equal(g.decide(item('/s/a', 2), '/t/a'), 'link');
  assert.equal(g.decide(item('/s/a', 2), '/t/a'), 'skip', 'a later segment of a waiting entry');
  assert.equal(g.decide(item('/s/b', 2, '/s/a'), '/t/b'), 'restore', 'a later segment of the entry bringing the bytes');
  assert.equal(g.decide(item('/s/one', 0), '/t/one'), 'restore');
  assert.equal(g.targetOf('/s/a'), undefined, 'nothing to link to before it is in place');
  g.restoredAt(item('/s/b', 2, '/s/a'), '/t/b');
  assert.equal(g.targetOf('/s/a'), '/t/b');
  assert.deepEqual(
    g.deferred.map((d) => [d.dest, d.group]),
    [['/t/a', '/s/a']],
  );
});

test('one entry of a group restored alone is restored, and nothing waits', () => {
  const g = new HardLinkGroups();
  assert.equal(g.decide(item('/s/b', 2, '/s/a'), '/t/b'), 'restore');
  assert.deepEqual(g.deferred, []);
});
