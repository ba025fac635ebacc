// Names of owners and groups: passwd/group parsing, and which number a restore gives an entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OwnerNames, parseNameTable } from '../../../src/backup/owner-names.js';

const passwd =
  'root:x:0:0:root:/root:/bin/bash\n# comment\nalice:x:1000:1000::/home/alice:/bin/sh\nbroken\nalias:x:1000:1000::/:/bin/false\nbob:x:1001:1001::/home/bob:/bin/sh\n';
const group = 'root:x:0:\nusers:x:100:alice,bob\n';

test('passwd and group lines parse by number and by name; the first entry of a number wins', () => {
  const users = parseNameTable(passwd);
  assert.equal(users.byId.get(1000), 'alice');
  assert.equal(users.byName.get('alias'), 1000);
  assert.equal(users.byId.size, 3);
  assert.equal(parseNameTable(group).byName.get('users'), 100);
});

test('a restore gives the owner by name where the name exists on this host, else by number', () => {
  const names = OwnerNames.of(parseNameTable(passwd), parseNameTable(group));
  assert.equal(names.uidFor(5000, 'bob'), 1001, 'bob is 5000 on the source host, 1001 here');
  assert.equal(names.uidFor(5000, 'carol'), 5000, 'no carol here: by number');
  assert.equal(names.uidFor(0, ''), 0, 'no name recorded: by number');
  assert.equal(names.gidFor(7, 'users'), 100);
  assert.equal(names.gidFor(7, ''), 7);
  assert.equal(names.userName(1001), 'bob');
  assert.equal(names.groupName(999), '');
});
