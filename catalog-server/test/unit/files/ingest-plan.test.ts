import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { FileType, type FileRecord, type TapeLocation } from '@ferrite/proto';
import { FerriteError } from '../../../src/common/errors.js';
import { EMPTY_SHA256_HEX, planIngest, runForPath } from '../../../src/modules/files/ingest-plan.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const RUNS = [
  { id: 'run-data', root: '/data' },
  { id: 'run-photos', root: '/data/photos' },
];
const sha = (s: string) => createHash('sha256').update(s).digest();

function loc(over: Partial<TapeLocation> = {}): TapeLocation {
  return {
    barcode: 'FER001L9',
    partition: 'b',
    startBlock: 10,
    containerPath: '/ferrite/data/j/x',
    offset: 0,
    length: 5,
    segment: 0,
    fileOffset: 0,
    segmentSha256: Buffer.alloc(0),
    dataMap: [],
    ...over,
  };
}

function rec(path: string, over: Partial<FileRecord> = {}): FileRecord {
  return {
    path,
    type: FileType.FILE_TYPE_FILE,
    size: 5,
    mtimeMs: 1_700_000_000_123,
    mode: 0o100644,
    sha256: sha(path),
    symlinkTarget: '',
    locations: [loc()],
    ctimeMs: 0,
    inode: 0,
    deleted: false,
    changedDuringBackup: false,
    xattrs: [],
    linkCount: 0,
    hardLinkTo: '',
    rdevMajor: 0,
    rdevMinor: 0,
    owner: '',
    group: '',
    dataMap: [],
    ...over,
  };
}

const dir = (path: string): FileRecord => rec(path, { type: FileType.FILE_TYPE_DIRECTORY, size: 4096, sha256: Buffer.alloc(0), locations: [], mode: 0o40755 });

function rejection(records: FileRecord[]): FerriteError {
  try {
    planIngest(records, RUNS, JOB);
  } catch (err) {
    assert.ok(err instanceof FerriteError);
    return err;
  }
  assert.fail('expected the batch to be rejected');
}

describe('runForPath', () => {
  it('picks the longest component-wise root', () => {
    assert.equal(runForPath('/data/photos/a.jpg', RUNS)?.id, 'run-photos');
    assert.equal(runForPath('/data/photos', RUNS)?.id, 'run-photos');
    assert.equal(runForPath('/data/photosets/a', RUNS)?.id, 'run-data');
    assert.equal(runForPath('/database', RUNS), undefined);
  });
});

describe('planIngest', () => {
  it('derives every ancestor directory once, parents first', () => {
    const plan = planIngest([rec('/data/photos/2024/a.jpg'), dir('/data/empty dir'), rec('/data/b.txt')], RUNS, JOB);
    assert.deepEqual(plan.directories.paths, ['/', '/data', '/data/empty dir', '/data/photos', '/data/photos/2024']);
    assert.deepEqual(plan.directories.parents, [null, '/', '/data', '/data', '/data/photos']);
    assert.deepEqual(plan.directories.names, ['', 'data', 'empty dir', 'photos', '2024']);
    assert.deepEqual(plan.versions.dirPaths, ['/data/photos/2024', '/data', '/data']);
    assert.deepEqual(plan.versions.names, ['a.jpg', 'empty dir', 'b.txt']);
    assert.deepEqual(plan.versions.runIds, ['run-photos', 'run-data', 'run-data']);
  });

  it('stores empty files as the empty content, with no placement', () => {
    const plan = planIngest([rec('/data/empty', { size: 0, sha256: Buffer.alloc(0), locations: [] })], RUNS, JOB);
    assert.deepEqual(plan.versions.shas, [Buffer.from(EMPTY_SHA256_HEX, 'hex')]);
    assert.equal(plan.placements.shas.length, 0);
  });

  it('de-duplicates contents, placements and repeated paths (last wins)', () => {
    const same = sha('same');
    const plan = planIngest([rec('/data/a', { sha256: same }), rec('/data/b', { sha256: same }), rec('/data/a', { sha256: same, mode: 0o100600 })], RUNS, JOB);
    assert.deepEqual(plan.versions.shas, [same, same]);
    assert.equal(plan.placements.shas.length, 1);
    assert.deepEqual(plan.versions.names, ['a', 'b']);
    assert.equal(plan.versions.modes[0], 0o100600);
  });

  it('keeps every segment of a file that spans tapes', () => {
    const plan = planIngest(
      [rec('/data/big', { size: 10, locations: [loc({ length: 6 }), loc({ barcode: 'FER002L9', segment: 1, fileOffset: 6, length: 4, startBlock: 0 })] })],
      RUNS,
      JOB,
    );
    assert.deepEqual(plan.placements.segments, [0, 1]);
    assert.deepEqual(plan.barcodes, ['FER001L9', 'FER002L9']);
  });

  it("stores each segment's own SHA-256, and none (null) for a file in one piece", () => {
    const first = sha('bytes 0..5');
    const second = sha('bytes 6..9');
    const big = () =>
      rec('/data/big', {
        size: 10,
        locations: [
          loc({ length: 6, segmentSha256: first }),
          loc({ barcode: 'FER002L9', segment: 1, fileOffset: 6, length: 4, startBlock: 0, segmentSha256: second }),
        ],
      });
    // The same content reported twice (a second path): its placements are planned once.
    const plan = planIngest(
      [big(), { ...big(), path: '/data/big-copy' }, rec('/data/small'), rec('/data/older', { locations: [loc({ startBlock: 11 })] })],
      RUNS,
      JOB,
    );
    assert.deepEqual(plan.placements.segments, [0, 1, 0, 0]);
    assert.deepEqual(plan.placements.segmentShas, [first, second, null, null]);
  });

  it('refuses a segment hash that is not 32 bytes, naming the location', () => {
    const good = sha('segment 0');
    const bad = rec('/data/big', {
      size: 10,
      locations: [
        loc({ length: 6, segmentSha256: good }),
        loc({ barcode: 'FER002L9', segment: 1, fileOffset: 6, length: 4, startBlock: 0, segmentSha256: good.subarray(0, 31) }),
      ],
    });
    const err = rejection([rec('/data/ok'), bad]);
    assert.equal(err.code, 'INVALID_RECORD');
    assert.match(
      err.message,
      /record 1 \("\/data\/big"\) was rejected: location 1: segmentSha256 must be 32 bytes, got 31; nothing from this batch was stored/,
    );
    assert.match(rejection([rec('/data/x', { locations: [loc({ segmentSha256: Buffer.alloc(33) })] })]).message, /segmentSha256 must be 32 bytes, got 33/);
    assert.match(
      rejection([rec('/data/x', { xattrs: [{ name: 'system.nfs4_acl', value: Buffer.from('x') }] })]).message,
      /"system.nfs4_acl" is not in the user, trusted or security namespace/,
    );
  });

  it('plans the attributes of each version as JSON text, none as null, none on a deletion marker', () => {
    const xattrs = [{ name: 'user.origin', value: Buffer.from('scan') }];
    const plan = planIngest(
      [rec('/data/a', { xattrs }), rec('/data/b'), rec('/data/c', { deleted: true, sha256: Buffer.alloc(0), locations: [], size: 0, xattrs })],
      RUNS,
      JOB,
    );
    assert.deepEqual(plan.versions.attributes, ['{"xattrs":[["user.origin","c2Nhbg=="]]}', null, null]);
  });

  it('plans owner and group numbers as stored (none as null, none on a deletion marker) and each name once', () => {
    const plan = planIngest(
      [
        rec('/data/a', { uid: 1000, gid: 100, owner: 'anna', group: 'users' }),
        rec('/data/b', { uid: 1000, gid: 100, owner: 'anna', group: 'users' }),
        // A uid without a name on its host, and nfsnobody's 2^32-2, which an int4 holds as -2.
        rec('/data/c', { uid: 4242, gid: 4_294_967_294, owner: '', group: 'nfsnobody' }),
        rec('/data/d'),
        rec('/data/e', { deleted: true, sha256: Buffer.alloc(0), locations: [], size: 0, uid: 7, gid: 7, owner: 'gone', group: 'gone' }),
        // A name without its number says nothing a restore could use: not stored.
        rec('/data/f', { owner: 'nobody-number' }),
      ],
      RUNS,
      JOB,
    );
    assert.deepEqual(plan.versions.uids, [1000, 1000, 4242, null, null, null]);
    assert.deepEqual(plan.versions.gids, [100, 100, -2, null, null, null]);
    assert.deepEqual(plan.ownerNames, { kinds: ['USER', 'GROUP', 'GROUP'], numbers: [1000, -2, 100], names: ['anna', 'nfsnobody', 'users'] });
  });

  it('files the root entry under the root directory with an empty name', () => {
    const plan = planIngest([dir('/')], [{ id: 'r', root: '/' }], JOB);
    assert.deepEqual(plan.directories.paths, ['/']);
    assert.deepEqual(plan.versions.dirPaths, ['/']);
    assert.deepEqual(plan.versions.names, ['']);
  });

  it('turns zero ctime and inode into unknown', () => {
    const plan = planIngest([rec('/data/a'), rec('/data/b', { ctimeMs: 5, inode: 77 })], RUNS, JOB);
    assert.deepEqual(plan.versions.ctimesMs, [null, 5]);
    assert.deepEqual(plan.versions.inodes, [null, 77]);
  });

  it('lists contents referred to without a location, except those the batch places itself', () => {
    const plan = planIngest([rec('/data/a', { locations: [] }), rec('/data/b', { sha256: sha('/data/c'), locations: [] }), rec('/data/c')], RUNS, JOB);
    assert.deepEqual(plan.references, [sha('/data/a').toString('hex')]);
    assert.equal(plan.placements.shas.length, 1);
  });

  it('plans deletion markers without content, size or link', () => {
    const plan = planIngest([rec('/data/gone', { deleted: true, sha256: Buffer.alloc(0), locations: [], size: 9 })], RUNS, JOB);
    assert.deepEqual(plan.versions.deleted, [true]);
    assert.deepEqual(plan.versions.shas, [null]);
    assert.deepEqual(plan.versions.sizes, [0]);
  });

  it('rejects the whole batch for one bad record, naming it', () => {
    const cases: Array<[FileRecord, RegExp]> = [
      [rec('relative/x'), /absolute/],
      [rec('/data/a/../b'), /"\.\."/],
      [rec('/elsewhere/x'), /outside every root/],
      [rec('/data/x', { sha256: Buffer.alloc(3) }), /32-byte sha256/],
      [rec('/data/x', { deleted: true }), /deletion marker carries no sha256/],
      [rec('/data/x', { locations: [loc({ barcode: '' })] }), /barcode/],
      [rec('/data/x', { locations: [loc({ partition: 'bb' })] }), /partition/],
      [rec('/data/x', { locations: [loc({ startBlock: -1 })] }), /startBlock/],
      [rec('/data/x', { type: FileType.FILE_TYPE_UNSPECIFIED }), /unknown file type/],
      [rec('/data/x', { size: -1 }), /size/],
      [rec('/data/x', { mtimeMs: 1e300 }), /mtime_ms/],
      [rec('/data/x', { mtimeNanos: 1_000_000 }), /mtime_nanos 1000000 is not 0\.\.999999/],
      [rec('/data/x', { mtimeNanos: 1.5 }), /mtime_nanos/],
      [rec('/data/x', { type: FileType.FILE_TYPE_SYMLINK, sha256: Buffer.alloc(0), locations: [], symlinkTarget: '' }), /target/],
      [rec('/data/x', { type: FileType.FILE_TYPE_DIRECTORY, locations: [] }), /carries no sha256/],
      [rec('/data/x', { uid: -1 }), /uid -1 is not 0\.\.4294967295/],
      [rec('/data/x', { gid: 2 ** 32 }), /gid 4294967296/],
      [rec('/data/x', { uid: 1, owner: 'a\0b' }), /owner name contains a NUL/],
      [rec('/data/x', { gid: 1, group: 'g'.repeat(257) }), /group name is longer than 256 bytes/],
    ];
    for (const [bad, why] of cases) {
      const err = rejection([rec('/data/ok'), bad]);
      assert.equal(err.code, 'INVALID_RECORD', bad.path);
      assert.match(err.message, why);
      assert.match(err.message, /record 1 /);
    }
  });
});
