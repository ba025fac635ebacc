import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planHardLinks, linkRecords } from '../../../src/backup/hard-links.js';
import { recordOf } from '../../../src/backup/source-record.js';
import type { SourceEntry } from '../../../src/backup/source-scan.js';

function file(path: string, inode: number, nlink: number, dev = 1): SourceEntry {
  return {
    path,
    type: 'file',
    size: 10,
    mtimeMs: 1,
    mtimeNanos: 0,
    ctimeMs: 1,
    ctimeNanos: 0,
    mode: 0o644,
    uid: 0,
    gid: 0,
    inode,
    symlinkTarget: '',
    nlink,
    dev,
  };
}

test('files sharing (device, inode) name the first of them; single links and other devices stay alone', () => {
  const a = file('/s/a', 7, 3);
  const b = file('/s/b', 7, 3);
  const c = file('/s/sub/c', 7, 3);
  const other = file('/s/other', 7, 2, 2); // same inode number on another device: another file
  const single = file('/s/single', 8, 1);
  const outside = file('/s/outside-link', 9, 2); // its other name is not in this backup
  const links = planHardLinks([a, b, c, other, single, outside]);
  assert.deepEqual(
    [...links].map(([first, others]) => [first, others.map((e) => e.path)]),
    [['/s/a', ['/s/b', '/s/sub/c']]],
  );
  assert.deepEqual(
    [a, b, c, other, single, outside].map((e) => e.hardLinkTo),
    [undefined, '/s/a', '/s/a', undefined, undefined, undefined],
  );
  assert.equal(recordOf(outside).linkCount, 2);
  assert.equal(recordOf(outside).hardLinkTo, '');
  assert.equal(recordOf(single).linkCount, 0);
  assert.equal(recordOf(b).hardLinkTo, '/s/a');
});

test("the other names share the first one's content: size, SHA-256 and every location", () => {
  const a = file('/s/a', 7, 2);
  const b = file('/s/b', 7, 2);
  planHardLinks([a, b]);
  const loc = {
    barcode: 'T1',
    partition: 'b',
    startBlock: 4,
    containerPath: 'c',
    offset: 0,
    length: 12,
    segment: 0,
    fileOffset: 0,
    copy: 1,
    segmentSha256: Buffer.alloc(0),
    dataMap: [],
  };
  const first = { ...recordOf(a), size: 12, sha256: Buffer.alloc(32, 9), locations: [loc] };
  const [rb] = linkRecords(first, [b]);
  assert.deepEqual([rb.path, rb.size, rb.sha256, rb.locations, rb.hardLinkTo, rb.linkCount], ['/s/b', 12, first.sha256, [loc], '/s/a', 2]);
});
