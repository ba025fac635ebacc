import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { FileType, type FileRecord } from '@ferrite/proto';
import { manifestLine, recordFromManifestLine } from '../../../src/backup/checkpoint.js';
import { jobHeaderPath, manifestPath, parseManifestPath } from '../../../src/backup/tape-paths.js';

const job = { jobId: '8d3e4f3a-1c2b-4d5e-8f90-123456789abc', attempt: 2, host: 'ws-1' };

function record(over: Partial<FileRecord> = {}): FileRecord {
  return {
    path: '/srv/a b/ünï\ncode.txt',
    type: FileType.FILE_TYPE_FILE,
    size: 11,
    mtimeMs: 1_700_000_000_123,
    ctimeMs: 1_700_000_000_456,
    mode: 0o100644,
    inode: 42,
    sha256: createHash('sha256').update('hello world').digest(),
    symlinkTarget: '',
    xattrs: [],
    linkCount: 0,
    hardLinkTo: '',
    dataMap: [],
    rdevMajor: 0,
    rdevMinor: 0,
    owner: '',
    group: '',
    locations: [
      {
        barcode: 'T1',
        partition: 'b',
        startBlock: 7,
        containerPath: 'ferrite/data/x/bundles/000001.tar',
        offset: 512,
        length: 11,
        segment: 0,
        fileOffset: 0,
        copy: 1,
        segmentSha256: Buffer.alloc(0),
        dataMap: [],
      },
      {
        barcode: 'T2',
        partition: 'b',
        startBlock: 9,
        containerPath: 'ferrite/data/x/bundles/000001.tar',
        offset: 512,
        length: 11,
        segment: 0,
        fileOffset: 0,
        copy: 2,
        segmentSha256: Buffer.alloc(0),
        dataMap: [],
      },
    ],
    deleted: false,
    changedDuringBackup: false,
    ...over,
  };
}

test('a manifest line reads back as the record that was reported', () => {
  for (const r of [
    record(),
    record({ mtimeMs: 1_700_000_021_999, mtimeNanos: 600_000 }),
    record({ mtimeMs: -1, mtimeNanos: 999_999 }),
    record({ linkCount: 3 }),
    record({ type: FileType.FILE_TYPE_FIFO, size: 0, sha256: Buffer.alloc(0), locations: [] }),
    record({ type: FileType.FILE_TYPE_CHAR_DEVICE, size: 0, sha256: Buffer.alloc(0), locations: [], rdevMajor: 1, rdevMinor: 3 }),
    record({ type: FileType.FILE_TYPE_BLOCK_DEVICE, size: 0, sha256: Buffer.alloc(0), locations: [], rdevMajor: 259, rdevMinor: 65537 }),
    record({ linkCount: 2, hardLinkTo: '/srv/the first name' }),
    record({ type: FileType.FILE_TYPE_SYMLINK, size: 0, sha256: Buffer.alloc(0), symlinkTarget: '../t', locations: [] }),
    record({ type: FileType.FILE_TYPE_DIRECTORY, size: 0, sha256: Buffer.alloc(0), locations: [] }),
    record({ deleted: true, sha256: Buffer.alloc(0), locations: [], size: 0 }),
    record({ changedDuringBackup: true }),
  ]) {
    const line = manifestLine(job, r);
    assert.deepEqual(recordFromManifestLine(line), r, line);
  }
  // A line of an agent before nanosecond times has none, and reads back without (rounded times).
  assert.equal('mtimeNanos' in recordFromManifestLine(manifestLine(job, record())), false);
  assert.deepEqual(
    [manifestLine(job, record({ linkCount: 2, hardLinkTo: '/a' }))].map((l) => [JSON.parse(l).linkCount, JSON.parse(l).hardLinkTo, JSON.parse(l).v]),
    [[2, '/a', 1]],
  );
  assert.equal('linkCount' in JSON.parse(manifestLine(job, record())), false);
  // Only deletion markers carry the field, so older tapes' lines read the same.
  assert.equal('deleted' in JSON.parse(manifestLine(job, record())), false);
  // The same for a file that changed while it was read: `changed: true`, absent otherwise.
  assert.equal(JSON.parse(manifestLine(job, record({ changedDuringBackup: true }))).changed, true);
  assert.equal('changed' in JSON.parse(manifestLine(job, record())), false);
});

test('extended attributes and ACLs travel on the line, name by name, any bytes; a line without them has none', () => {
  const acl = Buffer.from('AgAAAAEABgD/////AgAGAOgDAAAEAAQA/////xAABgD/////IAAEAP////8=', 'base64');
  const r = record({
    xattrs: [
      { name: 'user.origin', value: Buffer.from('scanner 7') },
      { name: 'user.bin\n=odd', value: Buffer.from([0, 255, 10, 61]) },
      { name: 'user.empty', value: Buffer.alloc(0) },
      { name: 'system.posix_acl_access', value: acl },
    ],
  });
  const line = manifestLine(job, r);
  assert.deepEqual(recordFromManifestLine(line), r, line);
  assert.deepEqual(Object.keys(JSON.parse(line).xattrs), ['user.origin', 'user.bin\n=odd', 'user.empty', 'system.posix_acl_access']);
  assert.equal(JSON.parse(line).xattrs['system.posix_acl_access'], acl.toString('base64'));
  assert.equal(JSON.parse(line).v, 1);
  assert.equal('xattrs' in JSON.parse(manifestLine(job, record())), false);
});

test('a sparse file: its data map on the line and on each location, and the line says version 3', () => {
  const dataMap = [
    { offset: 0, length: 4096 },
    { offset: 1 << 20, length: 4096 },
  ];
  const base = record();
  const r = record({ size: 1 << 30, dataMap, locations: base.locations.map((l) => ({ ...l, length: 8192, dataMap, segmentSha256: Buffer.alloc(32, 3) })) });
  const line = manifestLine(job, r);
  assert.deepEqual(recordFromManifestLine(line), r);
  const json = JSON.parse(line) as { v: number; sparse: boolean; dataMap: number[][]; locations: Array<{ dataMap: number[][] }> };
  assert.deepEqual(
    [json.v, json.sparse, json.dataMap, json.locations[0].dataMap],
    [
      3,
      true,
      [
        [0, 4096],
        [1 << 20, 4096],
      ],
      [
        [0, 4096],
        [1 << 20, 4096],
      ],
    ],
  );
  assert.equal('dataMap' in JSON.parse(manifestLine(job, record())).locations[0], false);
});

test('a file spanning tapes: each segment keeps its place, tape and hash, and the line says version 2', () => {
  const piece = (segment: number, barcode: string, fileOffset: number, length: number) => ({
    barcode,
    partition: 'b',
    startBlock: 3 + segment,
    containerPath: 'ferrite/data/x/srv/big.iso',
    offset: 0,
    length,
    segment,
    fileOffset,
    copy: 1,
    segmentSha256: createHash('sha256').update(`piece ${segment}`).digest(),
    dataMap: [],
  });
  const r = record({ size: 300, locations: [piece(0, 'T1', 0, 100), piece(1, 'T2', 100, 150), piece(2, 'T3', 250, 50)] });
  const line = manifestLine(job, r);
  const json = JSON.parse(line) as { v: number; locations: Array<{ segmentSha256: string }> };
  assert.equal(json.v, 2, 'a version 1 reader must not take the first segment for the file');
  assert.equal(json.locations[1].segmentSha256, r.locations[1].segmentSha256.toString('hex'), 'hashes are written in hex');
  assert.deepEqual(recordFromManifestLine(line), r);
  // A file in one piece keeps version 1 and has no segment hash on its line.
  const whole = JSON.parse(manifestLine(job, record())) as { v: number; locations: object[] };
  assert.equal(whole.v, 1);
  assert.equal('segmentSha256' in whole.locations[0], false);
});

test('a deletion marker written before lines carried `deleted` is still one', () => {
  const older = (o: Record<string, unknown>) =>
    JSON.stringify({
      v: 1,
      job: job.jobId,
      attempt: 1,
      host: 'h',
      path: '/gone',
      type: 'file',
      size: 0,
      mtimeMs: 5,
      ctimeMs: 0,
      mode: 0o100644,
      inode: 0,
      sha256: null,
      symlinkTarget: null,
      locations: [],
      ...o,
    });
  assert.equal(recordFromManifestLine(older({})).deleted, true);
  assert.equal(recordFromManifestLine(older({ type: 'directory' })).deleted, true);
  // An empty file has its hash, a live entry its ctime; a line from before ctime cannot tell.
  assert.equal(recordFromManifestLine(older({ sha256: createHash('sha256').digest('hex') })).deleted, false);
  assert.equal(recordFromManifestLine(older({ ctimeMs: 1_700_000_000_000, inode: 9 })).deleted, false);
  assert.equal(recordFromManifestLine(older({ ctimeMs: undefined, inode: undefined })).deleted, false);
});

test('a line that is not a record is refused with what it is', () => {
  assert.throws(() => recordFromManifestLine('{"v":1,"type":"socket","path":"/x"}'), /not a manifest record/);
  assert.throws(() => recordFromManifestLine('not json'), SyntaxError);
});

test('manifest and header paths name their job, attempt and checkpoint', () => {
  assert.deepEqual(parseManifestPath(manifestPath(job.jobId, 1, 3)), { jobId: job.jobId, attempt: 1, seq: 3, header: false });
  assert.deepEqual(parseManifestPath(manifestPath(job.jobId, 2, 1)), { jobId: job.jobId, attempt: 2, seq: 1, header: false });
  assert.deepEqual(parseManifestPath(jobHeaderPath(job.jobId, 2)), { jobId: job.jobId, attempt: 2, seq: 0, header: true });
  assert.deepEqual(parseManifestPath(manifestPath('job-backup', 1, 12)), { jobId: 'job-backup', attempt: 1, seq: 12, header: false });
  assert.equal(parseManifestPath('ferrite/manifests/x-000000.jsonl'), null, 'checkpoint 0 is the header, never a manifest');
  assert.equal(parseManifestPath('ferrite/manifests/x-000004.json'), null);
  assert.equal(parseManifestPath('ferrite/data/x-000001.jsonl'), null);
});

test('ownership travels on the line by number and name; a line without it reads as unknown, not root', () => {
  const owned = record({ uid: 1000, gid: 100, owner: 'alice', group: 'users' });
  const line = JSON.parse(manifestLine(job, owned)) as Record<string, unknown>;
  assert.deepEqual([line.uid, line.gid, line.owner, line.group], [1000, 100, 'alice', 'users']);
  assert.deepEqual(recordFromManifestLine(manifestLine(job, owned)), owned);
  // Root, with a number that has no name on the source host.
  const root = record({ uid: 0, gid: 4242, owner: 'root', group: '' });
  const back = recordFromManifestLine(manifestLine(job, root));
  assert.deepEqual([back.uid, back.gid, back.owner, back.group], [0, 4242, 'root', '']);
  const old = recordFromManifestLine(manifestLine(job, record()));
  assert.equal(old.uid, undefined);
  assert.equal(old.gid, undefined);
});
