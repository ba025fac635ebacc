import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseCopyDrives, chooseDrive, type DriveForChoice } from '../../../../src/modules/jobs/dispatch/drive-choice.js';

const drive = (name: string, over: Partial<DriveForChoice> = {}): DriveForChoice => ({
  id: name,
  name,
  state: 'EMPTY',
  loadedBarcode: null,
  busy: false,
  ...over,
});

const pick = (drives: DriveForChoice[], barcode: string | null) => {
  const c = chooseDrive(drives, barcode, 'tape-01');
  return 'drive' in c ? c.drive.name : c.reason;
};

test('prefers the drive that holds the tape, then an empty drive', () => {
  const drives = [drive('d0', { state: 'LOADED', loadedBarcode: 'X' }), drive('d1', { state: 'LOADED', loadedBarcode: 'T' }), drive('d2')];
  assert.equal(pick(drives, 'T'), 'd1');
  assert.equal(pick(drives, 'Z'), 'd2');
  assert.equal(pick(drives.slice(0, 2), 'Z'), 'd0');
});

test('waits, with a reason, when nothing is free', () => {
  assert.equal(pick([], 'T'), 'agent tape-01 has no drives');
  assert.equal(pick([drive('d0', { busy: true }), drive('d1', { busy: true })], 'T'), 'all 2 drives of tape-01 are busy');
  assert.equal(pick([drive('d0', { busy: true })], null), 'the only drive of tape-01 is busy');
  assert.equal(
    pick([drive('d0', { state: 'OFFLINE' }), drive('d1', { state: 'NEEDS_CLEANING' })], 'T'),
    'all 2 drives of tape-01 are offline or need cleaning',
  );
});

test('a tape in a busy drive waits for that drive instead of taking another', () => {
  const drives = [drive('d0', { loadedBarcode: 'T', state: 'MOUNTED', busy: true }), drive('d1')];
  assert.equal(pick(drives, 'T'), 'tape T is in drive d0, which is busy');
  assert.equal(pick(drives, 'U'), 'd1');
});

test("copy drives: one more free drive per copy, never the first, never one holding another copy's tape", () => {
  const first = drive('d0');
  const names = (r: ReturnType<typeof chooseCopyDrives>) => ('drives' in r ? r.drives.map((d) => d.name) : r.reason);
  const drives = [first, drive('d1', { state: 'LOADED', loadedBarcode: 'C3' }), drive('d2'), drive('d3', { state: 'LOADED', loadedBarcode: 'C2' })];
  assert.deepEqual(names(chooseCopyDrives(drives, first, ['C2', 'C3'], 'h', 9)), ['d3', 'd1'], "the drives already holding the copies' tapes");
  assert.deepEqual(names(chooseCopyDrives(drives, first, ['C2'], 'h', 9)), ['d3']);
  assert.deepEqual(
    names(chooseCopyDrives([first, drive('d1', { loadedBarcode: 'C3' })], first, ['C2', 'C3'], 'h', 9)),
    'needs 3 free LTO-9 drives on agent h (one per copy), 2 free',
  );
  assert.deepEqual(
    names(chooseCopyDrives([first, drive('d1', { busy: true }), drive('d2', { state: 'NEEDS_CLEANING' })], first, ['C2'], 'h', null)),
    'needs 2 free drives on agent h (one per copy), 1 free',
  );
  assert.deepEqual(
    names(chooseCopyDrives([first, drive('d1', { generation: 10 }), drive('d2', { generation: 9 })], first, ['C2'], 'h', 9)),
    ['d2'],
    'an LTO-10 drive cannot write LTO-9',
  );
  assert.deepEqual(names(chooseCopyDrives([first], first, [], 'h', 9)), []);
  assert.deepEqual(
    names(chooseCopyDrives([first, drive('d1', { loadedBarcode: 'C2', busy: true }), drive('d2')], first, ['C2'], 'h', 9)),
    'tape C2 is in drive d1, which is busy',
  );
});
