import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDump, parseDump } from '../../../src/xattrs/xattr-dump.js';
import { isRecorded, selectXattrs, XATTR_BYTES_PER_ENTRY } from '../../../src/xattrs/xattr-policy.js';

test('getfattr output: escaped paths and names, base64, hex and quoted values, empty values', () => {
  const out = Buffer.from(
    [
      '# file: /tmp/xt/b\\012c',
      'user.y=0sAP8B',
      '',
      '# file: /tmp/xt/sp ace\\134bs=\xc3\xa9',
      'user.a b\\075c=0s',
      'user.hex=0x00ff',
      'user.q="a\\012b"',
      'user.bare',
      '',
    ].join('\n'),
    'latin1',
  );
  const parsed = parseDump(out);
  assert.deepEqual([...parsed.keys()], ['/tmp/xt/b\nc', '/tmp/xt/sp ace\\bs=é']);
  assert.deepEqual(parsed.get('/tmp/xt/b\nc'), [{ name: 'user.y', value: Buffer.from([0, 255, 1]) }]);
  assert.deepEqual(parsed.get('/tmp/xt/sp ace\\bs=é'), [
    { name: 'user.a b=c', value: Buffer.alloc(0) },
    { name: 'user.hex', value: Buffer.from([0, 255]) },
    { name: 'user.q', value: Buffer.from('a\nb') },
    { name: 'user.bare', value: Buffer.alloc(0) },
  ]);
});

test('a dump for setfattr reads back as what was written, whatever the bytes of paths, names and values', () => {
  const entries = [
    {
      path: '/r/new\nline/ünï = x\\y',
      xattrs: [
        { name: 'user.a=b c', value: Buffer.from([0, 1, 2, 255]) },
        { name: 'user.e', value: Buffer.alloc(0) },
      ],
    },
    { path: '/r/plain', xattrs: [{ name: 'trusted.t', value: Buffer.from('tt') }] },
  ];
  const dump = formatDump(entries);
  // Nothing but printable ASCII and newlines: setfattr splits lines at newlines and names at "=".
  assert.match(dump.toString('latin1'), /^[\x20-\x7e\n]*$/);
  assert.deepEqual(
    [...parseDump(dump)].map(([path, xattrs]) => ({ path, xattrs })),
    entries,
  );
});

test('recorded namespaces: user.* and ACLs always, trusted.* and security.* only as root, other system.* never', () => {
  assert.equal(isRecorded('user.x', false), true);
  assert.equal(isRecorded('system.posix_acl_access', false), true);
  assert.equal(isRecorded('system.posix_acl_default', false), true);
  assert.equal(isRecorded('trusted.x', false), false);
  assert.equal(isRecorded('trusted.x', true), true);
  assert.equal(isRecorded('security.selinux', true), true);
  assert.equal(isRecorded('security.selinux', false), false);
  assert.equal(isRecorded('system.nfs4_acl', true), false);
});

test('an entry over the per-entry limit is recorded without any of them, with a reason', () => {
  const big = { name: 'user.big', value: Buffer.alloc(XATTR_BYTES_PER_ENTRY - 'user.big'.length) };
  assert.deepEqual(selectXattrs([big], false), { xattrs: [big] });
  const over = selectXattrs([big, { name: 'user.x', value: Buffer.from('1') }], false);
  assert.deepEqual(over.xattrs, []);
  assert.match(over.problem!, /65543 bytes, over the limit of 65536; recorded without them/);
  // What is not recorded does not count.
  assert.deepEqual(selectXattrs([big, { name: 'trusted.x', value: Buffer.from('1') }], false), { xattrs: [big] });
});
