import assert from 'node:assert/strict';
import { FileType } from '@ferrite/proto';
import { describe, it } from 'node:test';
import { attributesProblem, decodeAttributes, encodeAttributes } from '../../../src/modules/files/version-attributes.js';
import { aclEntries } from '../../../src/modules/files/posix-acl.js';
import { dataBytes, dataMapProblem, decodeDataMap, encodeDataMap } from '../../../src/modules/files/data-map.js';
import { toAclModel, toXattrModels } from '../../../src/modules/files/models/extended-attribute.model.js';

/** What `setfacl -m u:1000:rw` leaves in system.posix_acl_access (read with getfattr -e base64). */
const ACCESS = Buffer.from('AgAAAAEABgD/////AgAGAOgDAAAEAAQA/////xAABgD/////IAAEAP////8=', 'base64');
/** `setfacl -d -m g:100:rx` on a directory: system.posix_acl_default. */
const DEFAULT = Buffer.from('AgAAAAEABwD/////BAAFAP////8IAAUAZAAAABAABQD/////IAAFAP////8=', 'base64');

describe('version attributes', () => {
  it('stores nothing for a version without any, and reads NULL back as none', () => {
    assert.equal(encodeAttributes({ xattrs: [] }), null);
    assert.equal(encodeAttributes({}), null);
    assert.deepEqual(decodeAttributes(null), { xattrs: [], linkCount: 0, hardLinkTo: '', dataMap: [], device: null, changedDuringBackup: false });
    assert.equal(encodeAttributes({ xattrs: [], linkCount: 1, hardLinkTo: '' }), null);
  });

  it('keeps names, order and any bytes of the values', () => {
    const xattrs = [
      { name: 'user.b', value: Buffer.from([0, 255, 10]) },
      { name: 'user.a', value: Buffer.alloc(0) },
      { name: 'system.posix_acl_access', value: ACCESS },
    ];
    assert.deepEqual(decodeAttributes(encodeAttributes({ xattrs })), {
      xattrs,
      linkCount: 0,
      hardLinkTo: '',
      dataMap: [],
      device: null,
      changedDuringBackup: false,
    });
  });

  it('keeps the flag of a file that changed while it was read, and stores nothing when it did not', () => {
    assert.equal(encodeAttributes({ changedDuringBackup: true }), '{"changed":true}');
    assert.equal(encodeAttributes({ changedDuringBackup: false }), null);
    assert.equal(decodeAttributes('{"changed":true}').changedDuringBackup, true);
    assert.equal(decodeAttributes('{"linkCount":2}').changedDuringBackup, false);
  });

  it('keeps hard links: the link count of a file with several names, and the file it is a link of', () => {
    assert.equal(encodeAttributes({ linkCount: 3 }), '{"linkCount":3}');
    assert.equal(encodeAttributes({ linkCount: 2, hardLinkTo: '/data/first' }), '{"linkCount":2,"hardLinkTo":"/data/first"}');
    assert.deepEqual(decodeAttributes('{"linkCount":2,"hardLinkTo":"/data/first"}'), {
      xattrs: [],
      linkCount: 2,
      hardLinkTo: '/data/first',
      dataMap: [],
      device: null,
      changedDuringBackup: false,
    });
  });

  it('refuses hard links that cannot be', () => {
    assert.equal(attributesProblem({ path: '/data/b', linkCount: 2, hardLinkTo: '/data/a' }), null);
    assert.match(attributesProblem({ path: '/data/b', linkCount: 2, hardLinkTo: 'relative' })!, /^hard_link_to: /);
    assert.match(attributesProblem({ path: '/data/b', linkCount: 2, hardLinkTo: '/data/b' })!, /names the entry itself/);
    assert.match(attributesProblem({ path: '/data/b', linkCount: 1, hardLinkTo: '/data/a' })!, /fewer than 2 links/);
    assert.match(attributesProblem({ path: '/data/b', linkCount: -1 })!, /link_count -1 is out of range/);
  });

  it('refuses what the agent never sends, naming the attribute', () => {
    const one = (name: string, value: Buffer = Buffer.from('v')) => attributesProblem({ xattrs: [{ name, value }] });
    assert.equal(one('user.ok'), null);
    assert.equal(one('trusted.ok'), null);
    assert.equal(one('security.selinux'), null);
    assert.match(one('system.nfs4_acl')!, /"system.nfs4_acl" is not in the user, trusted or security namespace nor a POSIX ACL/);
    assert.match(one('user.')!, /"user\." is not in the user/);
    assert.match(one('plain')!, /"plain"/);
    assert.match(one(`user.${'x'.repeat(251)}`)!, /longer than 255 bytes/);
    assert.match(
      attributesProblem({
        xattrs: [
          { name: 'user.a', value: Buffer.from('1') },
          { name: 'user.a', value: Buffer.from('2') },
        ],
      })!,
      /user.a is named twice/,
    );
    assert.match(one('user.big', Buffer.alloc(64 * 1024))!, /take 65544 bytes, more than 65536/);
  });
});

describe('sparse files', () => {
  const map = [
    { offset: 0, length: 4096 },
    { offset: 1 << 20, length: 8192 },
  ];
  it('keeps the data map of a sparse file', () => {
    assert.equal(encodeAttributes({ dataMap: map, size: 1 << 30 }), '{"dataMap":[[0,4096],[1048576,8192]]}');
    assert.deepEqual(decodeAttributes(encodeAttributes({ dataMap: map, size: 1 << 30 })).dataMap, map);
    assert.equal(dataBytes(map), 12288);
    assert.deepEqual(decodeDataMap(encodeDataMap(map)), map);
    assert.equal(encodeDataMap([]), null);
  });

  it('refuses extents that overlap, go backwards, are empty or pass the end', () => {
    assert.equal(dataMapProblem(map, 1 << 30), null);
    assert.match(
      dataMapProblem(
        [
          { offset: 0, length: 10 },
          { offset: 5, length: 10 },
        ],
        100,
      )!,
      /extent 1 starts at 5, before the end of the one before it \(10\)/,
    );
    assert.match(dataMapProblem([{ offset: 0, length: 0 }], 100)!, /extent 0 \(0, 0\) is not an offset and a positive length/);
    assert.match(dataMapProblem([{ offset: 90, length: 20 }], 100)!, /ends at 110, past the file's 100 bytes/);
    assert.match(attributesProblem({ size: 100, dataMap: [{ offset: 90, length: 20 }] })!, /^data_map: /);
  });
});

describe('special files', () => {
  it('keeps the numbers of a device, and refuses numbers on anything else', () => {
    const dev = { type: FileType.FILE_TYPE_CHAR_DEVICE, rdevMajor: 1, rdevMinor: 3 };
    assert.equal(attributesProblem(dev), null);
    assert.equal(encodeAttributes(dev), '{"rdev":[1,3]}');
    assert.deepEqual(decodeAttributes(encodeAttributes(dev)).device, { major: 1, minor: 3 });
    assert.equal(encodeAttributes({ type: FileType.FILE_TYPE_FIFO }), null);
    assert.match(attributesProblem({ type: FileType.FILE_TYPE_FILE, rdevMajor: 8 })!, /not a device/);
  });
});

describe('POSIX ACLs as text', () => {
  it('reads the kernel form into getfacl entries with numeric ids', () => {
    assert.deepEqual(aclEntries(ACCESS), ['user::rw-', 'user:1000:rw-', 'group::r--', 'mask::rw-', 'other::r--']);
    assert.deepEqual(aclEntries(DEFAULT), ['user::rwx', 'group::r-x', 'group:100:r-x', 'mask::r-x', 'other::r-x']);
  });

  it('bytes that are not an ACL read as none', () => {
    assert.equal(aclEntries(Buffer.from('hello')), null);
    assert.equal(aclEntries(Buffer.from([1, 0, 0, 0])), null);
    assert.equal(aclEntries(Buffer.concat([ACCESS, Buffer.from([1])])), null);
  });

  it('FileVersion shows access and default ACLs and each attribute, as text where it is text', () => {
    const a = {
      linkCount: 0,
      hardLinkTo: '',
      dataMap: [],
      device: null,
      changedDuringBackup: false,
      xattrs: [
        { name: 'user.origin', value: Buffer.from('scanner 7\0') },
        { name: 'user.bin', value: Buffer.from([0, 255]) },
        { name: 'system.posix_acl_default', value: DEFAULT },
      ],
    };
    assert.deepEqual(toAclModel(a), { access: null, default: ['user::rwx', 'group::r-x', 'group:100:r-x', 'mask::r-x', 'other::r-x'] });
    assert.equal(toAclModel({ xattrs: [], linkCount: 0, hardLinkTo: '', dataMap: [], device: null, changedDuringBackup: false }), null);
    assert.deepEqual(
      toXattrModels(a).map((x) => [x.name, x.value, x.text]),
      [
        ['user.origin', Buffer.from('scanner 7\0').toString('base64'), 'scanner 7'],
        ['user.bin', 'AP8=', null],
        ['system.posix_acl_default', DEFAULT.toString('base64'), null],
      ],
    );
  });
});
