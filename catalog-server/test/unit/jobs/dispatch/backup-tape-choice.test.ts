// The tapes a backup takes at dispatch (one per copy) and the reason it waits when there are not enough.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseBackupTapes, type WritableTape } from '../../../../src/modules/jobs/dispatch/backup-tape-choice.js';

const tape = (barcode: string, state: string, used: number, poolId: string | null, heldBy: string | null = null): WritableTape => ({
  barcode,
  state,
  capacityBytes: 1000,
  usedBytes: used,
  poolId,
  heldBy,
});
const pool = { id: 'p', name: 'weekly', scratchPoolId: 's' };

test('takes the fullest ACTIVE tape of the pool first, then scratch; never a tape another job holds', () => {
  const tapes = [tape('A', 'ACTIVE', 900, 'p', 'job-1'), tape('B', 'ACTIVE', 500, 'p'), tape('C', 'SCRATCH', 0, 's'), tape('D', 'SCRATCH', 0, 'other')];
  assert.deepEqual(chooseBackupTapes(tapes, { agentName: 'h', pool, copies: 1 }), { barcodes: ['B'] });
  assert.deepEqual(chooseBackupTapes(tapes, { agentName: 'h', pool, copies: 2 }), { barcodes: ['B', 'C'] });
});

test('waits with a reason an operator can act on', () => {
  assert.deepEqual(chooseBackupTapes([], { agentName: 'h', pool, copies: 1 }), { reason: 'no scratch tape in pool weekly on agent h' });
  assert.deepEqual(chooseBackupTapes([], { agentName: 'h', pool: null, copies: 1 }), { reason: 'no writable tape on agent h' });
  assert.deepEqual(chooseBackupTapes([tape('A', 'SCRATCH', 0, 'p', 'job-9')], { agentName: 'h', pool, copies: 1 }), {
    reason: 'no scratch tape in pool weekly on agent h (1 more is in use by other jobs)',
  });
  assert.deepEqual(chooseBackupTapes([tape('A', 'SCRATCH', 0, 'p'), tape('B', 'SCRATCH', 0, 'other')], { agentName: 'h', pool, copies: 2 }), {
    reason: 'needs 2 tapes in pool weekly on agent h (one per copy), 1 available',
  });
});
