// The arithmetic of a backup's tapes: usable bytes per tape, tapes per copy, duration at the native
// rate, the warning when the tapes in reach are too few, and which tapes count as in reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EARLY_WARNING_SHARE,
  estimatedSeconds,
  nativeRateBytesPerSecond,
  tapeShortageWarning,
  tapesNeededPerCopy,
  usableTapeBytes,
} from '../../../../src/modules/jobs/dispatch/backup-tape-need.js';
import type { WritableTape } from '../../../../src/modules/jobs/dispatch/backup-tape-choice.js';
import { tapeNeedOf } from '../../../../src/modules/jobs/dispatch/tapes-in-reach.service.js';

const TB = 1e12;

test('a tape takes its capacity less the early-warning zone (2 %) and the minimum free share', () => {
  assert.equal(EARLY_WARNING_SHARE, 0.02);
  assert.equal(usableTapeBytes(18 * TB, 1), 17.46 * TB);
  assert.equal(usableTapeBytes(18 * TB, 0), 17.64 * TB);
  assert.equal(usableTapeBytes(1000, 1), 970);
  assert.equal(usableTapeBytes(0, 1), 0);
});

test('tapes per copy: ceil(bytes / usable), at least one, none when no capacity is known', () => {
  const usable = usableTapeBytes(18 * TB, 1);
  assert.equal(tapesNeededPerCopy(0, usable), 1);
  assert.equal(tapesNeededPerCopy(usable, usable), 1);
  assert.equal(tapesNeededPerCopy(usable + 1, usable), 2);
  assert.equal(tapesNeededPerCopy(40 * TB, usable), 3);
  assert.equal(tapesNeededPerCopy(5, 0), 0);
});

test('duration is the bytes at the native rate of the generation', () => {
  assert.equal(nativeRateBytesPerSecond(9), 400e6);
  assert.equal(nativeRateBytesPerSecond(8), 360e6);
  assert.equal(nativeRateBytesPerSecond(4), null);
  assert.equal(nativeRateBytesPerSecond(null), null);
  assert.equal(estimatedSeconds(18 * TB, 400e6), 45_000);
  assert.equal(estimatedSeconds(1, 400e6), 1);
  assert.equal(estimatedSeconds(0, 400e6), 0);
  assert.equal(estimatedSeconds(10, null), null);
});

test('warns when the tapes in reach cannot hold every copy, and only then', () => {
  assert.equal(tapeShortageWarning({ tapesPerCopy: 2, copies: 1, available: 2, pool: 'weekly', agent: 'tape-01' }), null);
  assert.equal(
    tapeShortageWarning({ tapesPerCopy: 2, copies: 1, available: 1, pool: 'weekly', agent: 'tape-01' }),
    'the job will wait for tapes: needs 2, 1 available in pool weekly on agent tape-01',
  );
  assert.equal(
    tapeShortageWarning({ tapesPerCopy: 2, copies: 2, available: 3, pool: null, agent: 'h' }),
    'the job will wait for tapes: needs 4 (2 per copy, 2 copies), 3 available in agent h',
  );
});

const tape = (barcode: string, state: string, used: number, poolId: string | null, heldBy: string | null = null, capacityBytes = 1000): WritableTape => ({
  barcode,
  state,
  capacityBytes,
  usedBytes: used,
  poolId,
  heldBy,
});
const pool = { id: 'p', name: 'weekly', scratchPoolId: 's', copies: 2, generation: 8 };

test("tapes in reach: the pool's own with room, scratch of no pool or of its scratch pool, none held by another job", () => {
  const tapes = [
    tape('A', 'ACTIVE', 995, 'p'), // less than 1 % free: takes no backup
    tape('B', 'ACTIVE', 500, 'p'),
    tape('C', 'SCRATCH', 0, 's'),
    tape('D', 'SCRATCH', 0, 'other'),
    tape('E', 'SCRATCH', 0, null, 'job-1'),
    tape('F', 'SCRATCH', 0, null, null, 800),
  ];
  const need = tapeNeedOf({ tapes, driveGenerations: [9], pool, agentName: 'h', writeBytes: 1600, minFreePercent: 1 });
  assert.equal(need.available, 3);
  assert.equal(need.generation, 8);
  assert.equal(need.copies, 2);
  // The smallest tape in reach is planned with: 800 × 0.97.
  assert.equal(need.tapeCapacityBytes, 800);
  assert.equal(need.usableBytesPerTape, 776);
  assert.equal(need.tapesPerCopy, 3);
  assert.equal(need.shortage, 'the job will wait for tapes: needs 6 (3 per copy, 2 copies), 3 available in pool weekly on agent h');
});

test("without a pool or tapes: the drives' newest generation and its native capacity", () => {
  const need = tapeNeedOf({ tapes: [], driveGenerations: [8, 9], pool: null, agentName: 'h', writeBytes: 20 * TB, minFreePercent: 1 });
  assert.equal(need.generation, 9);
  assert.equal(need.tapeCapacityBytes, 18 * TB);
  assert.equal(need.tapesPerCopy, 2);
  assert.equal(need.shortage, 'the job will wait for tapes: needs 2, 0 available in agent h');
  const unknown = tapeNeedOf({ tapes: [], driveGenerations: [], pool: null, agentName: 'h', writeBytes: 5, minFreePercent: 1 });
  assert.equal(unknown.tapeCapacityBytes, null);
  assert.equal(unknown.tapesPerCopy, 0);
  assert.equal(unknown.shortage, null);
});
