import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssignJob, FileType, JobKind, OnChange, RestoreItem, RestoreTape } from '@ferrite/proto';
import {
  BACKUP_DEFAULTS,
  buildAssignJob,
  firstTapeOfJob,
  parseJobSpec,
  restorePlanToJson,
  summarizeJob,
  tapesOfJob,
  currentTapeOfCopy,
  specOnNextTape,
  tapesUsedByJob,
} from '../../../../src/modules/jobs/lifecycle/job-spec.js';
import type { FerriteError } from '../../../../src/common/errors.js';

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

test("a backup's onChange reaches the agent; a spec stored before it asks for RETRY", () => {
  const spec = { barcode: 'B', paths: ['/d'], excludes: [], level: 'FULL', pool: null, host: 'h', runIds: ['r1'], ...BACKUP_DEFAULTS };
  const onChange = (extra: object) => buildAssignJob({ ...base, kind: 'BACKUP', spec: { ...spec, ...extra } }, 'drive0').backup?.onChange;
  assert.equal(onChange({}), OnChange.ON_CHANGE_RETRY);
  assert.equal(onChange({ onChange: 'RETRY' }), OnChange.ON_CHANGE_RETRY);
  assert.equal(onChange({ onChange: 'FLAG' }), OnChange.ON_CHANGE_FLAG);
  assert.equal(onChange({ onChange: 'FAIL' }), OnChange.ON_CHANGE_FAIL);
  assert.throws(() => parseJobSpec('BACKUP', { ...spec, onChange: 'IGNORE' }));
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

test('a verify plan survives JSON storage and names its tapes in reading order', () => {
  const item = (barcode: string) =>
    RestoreItem.fromPartial({
      type: FileType.FILE_TYPE_FILE,
      size: 9,
      sha256: Buffer.alloc(32, 3),
      location: { barcode, partition: 'b', startBlock: 40, containerPath: '/ferrite/data/j/bundles/000001.tar', offset: 1536, length: 9 },
    });
  const tapes = [RestoreTape.fromPartial({ barcode: 'T1', items: [item('T1')] }), RestoreTape.fromPartial({ barcode: 'T2', items: [item('T2')] })];
  const spec = JSON.parse(JSON.stringify({ barcode: null, runId: 'run-1', objectCount: 2, byteCount: 18, ...restorePlanToJson(tapes, []) }));
  const cmd = buildAssignJob({ ...base, kind: 'VERIFY', spec }, 'drive0');
  assert.equal(cmd.kind, JobKind.JOB_KIND_VERIFY);
  assert.deepEqual(cmd.verify?.tapes, tapes);
  assert.deepEqual(AssignJob.decode(AssignJob.encode(cmd).finish()), cmd);
  assert.deepEqual(tapesOfJob('VERIFY', spec), ['T1', 'T2']);
  assert.equal(firstTapeOfJob('VERIFY', spec), 'T1');
  assert.equal(summarizeJob('VERIFY', spec), 'verify run run-1: 2 object(s), 18 bytes on T1, T2');
});

test('a rebuild names its tape', () => {
  const cmd = buildAssignJob({ ...base, kind: 'REBUILD', spec: { barcode: 'T9' } }, 'drive1');
  assert.equal(cmd.kind, JobKind.JOB_KIND_REBUILD);
  assert.deepEqual(cmd.rebuild, { barcode: 'T9' });
  assert.deepEqual(tapesOfJob('REBUILD', { barcode: 'T9' }), ['T9']);
  assert.equal(summarizeJob('REBUILD', { barcode: 'T9' }), 'rebuild the catalog from what tape T9 holds');
});

test('a kind the server cannot dispatch is an error, not a malformed command', () => {
  assert.throws(() => buildAssignJob({ ...base, kind: 'UNKNOWN' as never, spec: {} }, 'drive0'), /cannot dispatch UNKNOWN/);
});

test('a stored spec that does not match its kind is refused with INVALID_JOB_SPEC naming the field, not a TypeError', () => {
  const bad = { barcode: 'B', paths: '/not-a-list', excludes: [], level: 'FULL', pool: null, host: 'h', ...BACKUP_DEFAULTS };
  assert.throws(
    () => buildAssignJob({ ...base, kind: 'BACKUP', spec: bad }, 'drive0'),
    (err: FerriteError) =>
      err.code === 'INVALID_JOB_SPEC' && /job job-1: the stored backup job spec is not valid \(paths: /.test(err.message) && err.details.field === 'paths',
  );
  assert.throws(
    () => buildAssignJob({ ...base, kind: 'RESTORE', spec: null }, 'drive0'),
    (err: FerriteError) => err.code === 'INVALID_JOB_SPEC',
  );
  assert.throws(
    () => parseJobSpec('CHECK', { barcode: 'T', repair: 'yes', rollbackGeneration: null }),
    (err: FerriteError) => err.code === 'INVALID_JOB_SPEC' && err.details.field === 'repair',
  );
  // Lists still show such a job, working on no tape.
  assert.equal(summarizeJob('BACKUP', bad), 'backup job whose stored spec is not valid');
  assert.deepEqual(tapesOfJob('BACKUP', bad), []);
});

test('parsed specs keep the fields their schema does not name', () => {
  const spec = { barcode: 'B', paths: ['/d'], excludes: [], level: 'FULL', pool: null, host: 'h', ...BACKUP_DEFAULTS, rebuiltFrom: 'FER001L9', futureField: 7 };
  assert.deepEqual(parseJobSpec('BACKUP', spec), spec);
});

test('a backup moving to its next tape: the spec names the new tape per copy and lists every tape used in order', () => {
  const base = parseJobSpec('BACKUP', {
    barcode: 'AAA001L9',
    tapes: [
      { copy: 1, barcode: 'AAA001L9', driveName: 'drive0', driveId: 'd0' },
      { copy: 2, barcode: 'BBB001L9', driveName: 'drive1', driveId: 'd1' },
    ],
    paths: ['/data'],
    excludes: [],
    level: 'FULL',
    pool: 'p',
    host: 'h',
    ...BACKUP_DEFAULTS,
  });
  const once = specOnNextTape(base, 1, 'AAA002L9');
  assert.equal(currentTapeOfCopy(once, 1), 'AAA002L9');
  assert.equal(currentTapeOfCopy(once, 2), 'BBB001L9');
  assert.deepEqual(tapesOfJob('BACKUP', once), ['AAA002L9', 'BBB001L9'], 'the tapes written now (a resumed attempt goes on there)');
  const twice = specOnNextTape(once, 2, 'BBB002L9');
  assert.equal(currentTapeOfCopy(twice, 2), 'BBB002L9');
  assert.deepEqual(
    twice.spanned?.map((t) => `${t.copy}:${t.barcode}`),
    ['1:AAA001L9', '2:BBB001L9', '1:AAA002L9', '2:BBB002L9'],
  );
  assert.deepEqual(tapesUsedByJob('BACKUP', twice), ['AAA001L9', 'BBB001L9', 'AAA002L9', 'BBB002L9']);
  assert.equal(currentTapeOfCopy(twice, 3), null);
});
