import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobKind } from '@ferrite/proto';
import { buildAssignJob, pinnedDriveOfJob, summarizeJob, tapesOfJob } from '../../../../src/modules/jobs/lifecycle/job-spec.js';
import { choosePinnedDrive } from '../../../../src/modules/jobs/dispatch/pinned-drive.js';
import type { DriveForChoice } from '../../../../src/modules/jobs/dispatch/drive-choice.js';

const job = (kind: Parameters<typeof buildAssignJob>[0]['kind'], spec: object) => ({ id: 'j1', kind, attempt: 1, spec });

test('tape-layer jobs become their AssignJob commands', () => {
  const load = buildAssignJob(job('LOAD', { barcode: 'FER001L9', driveName: 'drive1' }), 'drive1');
  assert.equal(load.kind, JobKind.JOB_KIND_LOAD);
  assert.equal(load.load?.barcode, 'FER001L9');
  const move = buildAssignJob(job('MOVE', { barcode: 'FER001L9', fromSlot: 1, toSlot: 7 }), 'drive0');
  assert.deepEqual([move.kind, move.move?.toSlot], [JobKind.JOB_KIND_MOVE, 7]);
  const unload = buildAssignJob(job('UNLOAD', { barcode: 'FER001L9', driveName: 'drive0', toSlot: null }), 'drive0');
  assert.deepEqual([unload.kind, unload.unload?.toSlot], [JobKind.JOB_KIND_UNLOAD, 0]);
  const check = buildAssignJob(job('CHECK', { barcode: 'FER001L9', repair: true, rollbackGeneration: 4 }), 'drive0');
  assert.deepEqual([check.kind, check.check?.repair, check.check?.rollbackGeneration], [JobKind.JOB_KIND_CHECK, true, 4]);
  const clean = buildAssignJob(job('CLEAN', { driveName: 'drive1', cleaningBarcode: 'CLN001L1' }), 'drive1');
  assert.deepEqual([clean.kind, clean.clean?.cleaningBarcode], [JobKind.JOB_KIND_CLEAN, 'CLN001L1']);
  const inv = buildAssignJob(job('INVENTORY', { library: null }), 'drive0');
  assert.deepEqual([inv.kind, inv.inventory?.library], [JobKind.JOB_KIND_INVENTORY, '']);
});

test('load, unload and clean are pinned to their drive; the others are not', () => {
  assert.equal(pinnedDriveOfJob('LOAD', { barcode: 'X', driveName: 'drive1' }), 'drive1');
  assert.equal(pinnedDriveOfJob('CLEAN', { driveName: 'drive0', cleaningBarcode: 'CLN001L1' }), 'drive0');
  assert.equal(pinnedDriveOfJob('MOVE', { barcode: 'X', driveName: 'drive1' }), null);
  assert.equal(pinnedDriveOfJob('BACKUP', { barcode: 'X' }), null);
  assert.deepEqual(tapesOfJob('CLEAN', { driveName: 'drive0', cleaningBarcode: 'CLN001L1' }), ['CLN001L1']);
  assert.equal(summarizeJob('MOVE', { barcode: 'FER001L9', fromSlot: 1, toSlot: 7 }), 'move FER001L9 from slot 1 to slot 7');
});

test('a pinned job waits for its drive; only cleaning (and unload) use a drive that needs cleaning', () => {
  const drives: DriveForChoice[] = [
    { id: '1', name: 'drive0', state: 'NEEDS_CLEANING', loadedBarcode: null, busy: false },
    { id: '2', name: 'drive1', state: 'EMPTY', loadedBarcode: null, busy: true },
  ];
  const clean = choosePinnedDrive('CLEAN', { driveName: 'drive0', cleaningBarcode: 'CLN001L1' }, drives, 'a');
  assert.ok(clean && 'drive' in clean && clean.drive.name === 'drive0');
  const load = choosePinnedDrive('LOAD', { barcode: 'X', driveName: 'drive0' }, drives, 'a');
  assert.ok(load && 'reason' in load && /needs cleaning/.test(load.reason));
  const busy = choosePinnedDrive('LOAD', { barcode: 'X', driveName: 'drive1' }, drives, 'a');
  assert.ok(busy && 'reason' in busy && /busy/.test(busy.reason));
  const missing = choosePinnedDrive('LOAD', { barcode: 'X', driveName: 'drive7' }, drives, 'a');
  assert.ok(missing && 'reason' in missing && /no drive drive7/.test(missing.reason));
  assert.equal(choosePinnedDrive('MOVE', { barcode: 'X' }, drives, 'a'), null);
});
