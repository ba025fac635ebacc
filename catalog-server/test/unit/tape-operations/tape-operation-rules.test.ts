import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  loadDriveProblem,
  moveSlotProblem,
  needsCleaning,
  pickLoadDrive,
  type DriveView,
  type SlotView,
} from '../../../src/modules/tape-operations/tape-operation-rules.js';
import { insertTapeMessage, libraryToAskFor } from '../../../src/modules/operator-requests/operator-requests.service.js';

const drive = (over: Partial<DriveView> = {}): DriveView => ({
  name: 'drive0',
  generation: 9,
  state: 'EMPTY',
  changerId: 'lib1',
  loadedBarcode: null,
  busyJob: null,
  alerts: [],
  ...over,
});
const codeOf = (e: { code: string } | null) => e?.code ?? null;

test("a load goes only into an idle, empty, clean drive of the tape's library", () => {
  assert.equal(loadDriveProblem(drive(), 'lib1', 'lib1'), null);
  assert.equal(codeOf(loadDriveProblem(drive({ loadedBarcode: 'FER001L9', state: 'LOADED' }), 'lib1', 'lib1')), 'DRIVE_OCCUPIED');
  assert.equal(codeOf(loadDriveProblem(drive({ busyJob: 'job-1' }), 'lib1', 'lib1')), 'DRIVE_BUSY');
  assert.equal(codeOf(loadDriveProblem(drive({ state: 'BUSY' }), 'lib1', 'lib1')), 'DRIVE_BUSY');
  // busy wins over occupied: the job holding the drive is what the operator has to wait for
  assert.equal(codeOf(loadDriveProblem(drive({ busyJob: 'job-1', loadedBarcode: 'FER001L9' }), 'lib1', 'lib1')), 'DRIVE_BUSY');
  assert.equal(codeOf(loadDriveProblem(drive({ changerId: 'lib2' }), 'lib1', 'lib1')), 'DRIVE_NOT_IN_LIBRARY');
  assert.equal(codeOf(loadDriveProblem(drive({ changerId: null }), 'lib1', 'lib1')), 'DRIVE_NOT_IN_LIBRARY');
  assert.equal(codeOf(loadDriveProblem(drive({ state: 'OFFLINE' }), 'lib1', 'lib1')), 'DRIVE_OFFLINE');
  assert.equal(codeOf(loadDriveProblem(drive({ alerts: ['CLEAN_NOW'] }), 'lib1', 'lib1')), 'DRIVE_NEEDS_CLEANING');
  // Planning with the shared generations table: an LTO-9 drive reads LTO-8 and 9, not LTO-7 or 10.
  assert.equal(loadDriveProblem(drive(), 'lib1', 'lib1', 8), null);
  assert.equal(codeOf(loadDriveProblem(drive(), 'lib1', 'lib1', 7)), 'DRIVE_INCOMPATIBLE');
  assert.equal(codeOf(loadDriveProblem(drive({ generation: 10 }), 'lib1', 'lib1', 9)), 'DRIVE_INCOMPATIBLE');
  // A tape in no library yet (null) may go into any library drive of the agent.
  assert.equal(loadDriveProblem(drive({ changerId: 'lib2' }), null, null), null);
});

test('without a named drive, the first idle empty drive of the library is picked', () => {
  const drives = [drive({ name: 'drive1' }), drive({ name: 'drive0', loadedBarcode: 'X' }), drive({ name: 'drive2', changerId: 'lib2' })];
  assert.equal(pickLoadDrive(drives, 'lib1')?.name, 'drive1');
  assert.equal(pickLoadDrive(drives, 'lib2')?.name, 'drive2');
  assert.equal(pickLoadDrive([drive({ busyJob: 'j' })], 'lib1'), null);
  assert.equal(pickLoadDrive(drives, null)?.name, 'drive1');
  assert.equal(
    pickLoadDrive([drive({ name: 'drive0', generation: 8 }), drive({ name: 'drive1' })], 'lib1', 9)?.name,
    'drive1',
    'the drive that can read the tape',
  );
});

test("a move targets an existing, empty slot that is not another tape's home", () => {
  const slots: SlotView[] = [
    { slot: 1, occupant: { barcode: 'FER001L9', inDrive: false } },
    { slot: 2, occupant: null },
    { slot: 3, occupant: { barcode: 'FER003L9', inDrive: true } },
  ];
  assert.equal(moveSlotProblem(1, 2, slots, 'lib1'), null);
  assert.equal(codeOf(moveSlotProblem(2, 1, slots, 'lib1')), 'SLOT_OCCUPIED');
  const reserved = moveSlotProblem(1, 3, slots, 'lib1');
  assert.equal(codeOf(reserved), 'SLOT_OCCUPIED');
  assert.match(reserved!.message, /home slot of FER003L9/);
  assert.equal(codeOf(moveSlotProblem(1, 4, slots, 'lib1')), 'INVALID_SLOT');
  assert.equal(codeOf(moveSlotProblem(1, 0, slots, 'lib1')), 'INVALID_SLOT');
  assert.equal(codeOf(moveSlotProblem(2, 2, slots, 'lib1')), 'INVALID_SLOT');
});

test('a drive asks for cleaning by its state or a cleaning TapeAlert', () => {
  assert.equal(needsCleaning({ state: 'NEEDS_CLEANING', alerts: [] }), true);
  assert.equal(needsCleaning({ state: 'EMPTY', alerts: ['CLEAN_PERIODIC'] }), true);
  assert.equal(needsCleaning({ state: 'LOADED', alerts: ['MEDIA'] }), false);
});

test('the operator request says which tape goes where', () => {
  assert.equal(insertTapeMessage('FER004L9', 'lib1', 'tape-02', 'tape-02'), 'insert tape FER004L9 into library lib1 on host tape-02');
  assert.equal(insertTapeMessage('FER004L9', null, 'a1', 'host.example'), 'insert tape FER004L9 into the library on host host.example (agent a1)');
});

test('an agent with standalone drives only is asked to insert the tape into its drive', () => {
  assert.equal(insertTapeMessage('FER004L9', null, 'H', 'H', 'st0'), 'insert tape FER004L9 into drive st0 on host H');
  assert.equal(insertTapeMessage('FER004L9', null, 'a1', 'H', 'st0 or st1'), 'insert tape FER004L9 into drive st0 or st1 on host H (agent a1)');
  // A library, when there is one, wins over the drive.
  assert.equal(insertTapeMessage('FER004L9', 'lib1', 'H', 'H', 'st0'), 'insert tape FER004L9 into library lib1 on host H');
});

test("the request names the library the operator chose, else the agent's only one, else none", () => {
  assert.equal(libraryToAskFor('lib2', ['lib1', 'lib2']), 'lib2');
  assert.equal(libraryToAskFor(null, ['lib1']), 'lib1');
  assert.equal(libraryToAskFor(undefined, ['lib1', 'lib2']), null);
  assert.equal(libraryToAskFor(null, []), null);
});
