// planBackup's answer as operators read it, built from the agent's counts and the tape need.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncrementalLevel, type ReportPlanRequest } from '@ferrite/proto';
import { buildPlanModel } from '../../../../src/modules/jobs/api/backup-plan.service.js';
import type { TapeNeed } from '../../../../src/modules/jobs/dispatch/tapes-in-reach.service.js';
import { BackupLevelValue } from '../../../../src/modules/jobs/lifecycle/models/job-enums.js';

const answer = (over: Partial<ReportPlanRequest> = {}): ReportPlanRequest => ({
  agentId: 'a',
  requestId: 'r',
  errorCode: '',
  errorMessage: '',
  files: 10,
  directories: 3,
  symlinks: 1,
  bytes: 5000,
  writeFiles: 2,
  writeBytes: 3000,
  recordEntries: 2,
  unchangedEntries: 12,
  unchangedBytes: 2000,
  byReferenceFiles: 0,
  byReferenceBytes: 0,
  deleted: 1,
  issues: 0,
  roots: [{ root: '/data', level: IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL, baseRunId: 'run-1', note: 'compared with run-1' }],
  ...over,
});

const need = (over: Partial<TapeNeed> = {}): TapeNeed => ({
  generation: 9,
  copies: 2,
  tapeCapacityBytes: 1000,
  usableBytesPerTape: 970,
  tapesPerCopy: 4,
  available: 3,
  shortage: 'the job will wait for tapes: needs 8 (4 per copy, 2 copies), 3 available in pool weekly on agent h',
  ...over,
});

test('the plan: counts from the agent, tapes × copies, the duration at the native rate, the shortage first', () => {
  const plan = buildPlanModel({ agent: 'h', level: BackupLevelValue.INCREMENTAL, pool: 'weekly', need: need(), answer: answer() });
  assert.equal(plan.tapesNeededPerCopy, 4);
  assert.equal(plan.tapesNeeded, 8);
  assert.equal(plan.tapesAvailable, 3);
  assert.equal(plan.nativeRateBytesPerSecond, 400e6);
  assert.equal(plan.estimatedSeconds, 1);
  assert.deepEqual(plan.warnings, ['the job will wait for tapes: needs 8 (4 per copy, 2 copies), 3 available in pool weekly on agent h']);
  assert.deepEqual(plan.roots, [{ path: '/data', level: BackupLevelValue.INCREMENTAL, baseRunId: 'run-1', note: 'compared with run-1' }]);
  assert.equal(plan.writeBytes, 3000);
  assert.equal(plan.unchangedBytes, 2000);
  assert.equal(plan.unreadable, 0);
});

test('the plan says when an INCREMENTAL would run FULL, when entries cannot be read, and when no generation is known', () => {
  const plan = buildPlanModel({
    agent: 'h',
    level: BackupLevelValue.INCREMENTAL,
    pool: null,
    need: need({ generation: null, tapeCapacityBytes: null, usableBytesPerTape: null, tapesPerCopy: 0, copies: 1, available: 0, shortage: null }),
    answer: answer({ issues: 2, roots: [{ root: '/x', level: IncrementalLevel.INCREMENTAL_LEVEL_FULL, baseRunId: '', note: '' }] }),
  });
  assert.equal(plan.tapesNeeded, 0);
  assert.equal(plan.estimatedSeconds, null);
  assert.deepEqual(plan.warnings, [
    'no earlier successful backup of /x: this INCREMENTAL would run as a FULL backup',
    "2 entries could not be read and would be skipped (see the agent's log)",
    'no LTO generation is known for this backup (no pool generation, no drive): tapes and duration are not estimated',
  ]);
});
