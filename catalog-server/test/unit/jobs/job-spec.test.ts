import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssignJob, FileType, JobKind, RestoreItem, RestoreTape } from '@ferrite/proto';
import { BACKUP_DEFAULTS, buildAssignJob, firstTapeOfJob, restorePlanToJson, summarizeJob, tapesOfJob } from '../../../src/modules/jobs/job-spec.js';

const base = { id: 'job-1', attempt: 2 };

test('format and backup specs become their AssignJob', () => {
  const f = buildAssignJob({ ...base, kind: 'FORMAT', spec: { barcode: 'A', force: true, pool: null } }, 'drive0');
  assert.deepEqual(f.format, { barcode: 'A', force: true, pool: '' });
  assert.equal(f.kind, JobKind.JOB_KIND_FORMAT);
  assert.equal(f.driveName, 'drive0');
  assert.equal(f.attempt, 2);
  const spec = { barcode: 'B', paths: ['/d'], excludes: ['*.tmp'], level: 'FULL', pool: null, host: 'h', runIds: ['r1', 'r2'], ...BACKUP_DEFAULTS };
  const b = buildAssignJob({ ...base, kind: 'BACKUP', spec }, 'drive1');
  assert.equal(b.backup?.runId, 'r1');
  assert.equal(b.backup?.smallFileThreshold, 1024 * 1024);
  assert.equal(b.backup?.bundleTargetBytes, 256 * 1024 * 1024);
  assert.equal(b.backup?.checkpointBytes, 1024 * 1024 * 1024);
  assert.equal(b.backup?.checkpointFiles, 5000);
  // It must survive the wire.
  assert.deepEqual(AssignJob.decode(AssignJob.encode(b).finish()), b);
});

test('a restore plan survives JSON storage, bytes included', () => {
  const item = RestoreItem.fromPartial({
    path: '/d/a b',
    type: FileType.FILE_TYPE_FILE,
    size: 3,
    mtimeMs: 1_700_000_000_123,
    mode: 0o644,
    sha256: Buffer.alloc(32, 7),
    location: { barcode: 'T1', partition: 'b', startBlock: 12, containerPath: '/ferrite/data/j/x', offset: 0, length: 3 },
  });
  const tapes = [RestoreTape.fromPartial({ barcode: 'T1', items: [item] })];
  const stored = JSON.parse(JSON.stringify(restorePlanToJson(tapes, [])));
  const spec = { targetDirectory: '/r', stripPrefix: '', overwrite: false, host: 'h', fileCount: 1, byteCount: 3, ...stored };
  const cmd = buildAssignJob({ ...base, kind: 'RESTORE', spec }, 'drive0');
  assert.deepEqual(cmd.restore?.tapes, tapes);
  assert.deepEqual(tapesOfJob('RESTORE', spec), ['T1']);
  // The dispatcher puts a restore on the drive that holds its first tape.
  assert.equal(firstTapeOfJob('RESTORE', spec), 'T1');
  assert.equal(firstTapeOfJob('RESTORE', { ...spec, tapes: [] }), null);
  assert.match(summarizeJob('RESTORE', spec), /restore 1 file\(s\) from h \(T1\) to \/r/);
});

test('kinds the server cannot dispatch yet are an error, not a malformed command', () => {
  assert.throws(() => buildAssignJob({ ...base, kind: 'VERIFY', spec: {} }, 'drive0'), /cannot dispatch VERIFY/);
});
