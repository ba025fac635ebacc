import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAgentFormats,
  chooseBackupTape,
  EMPTY_VOLUME_OVERHEAD_BYTES,
  formatAgentId,
  formatBlockReason,
  isUnder,
  normalizeSourcePaths,
  readerAgentId,
  validateRestoreTarget,
  type TapeCandidate,
} from '../../../../src/modules/jobs/lifecycle/job-validation.js';
import { thrownCode } from '../../../support/error-codes.js';

test('restore target: normalized, under an allowed root', () => {
  assert.equal(validateRestoreTarget('/restore/run1/', ['/restore'], 'a'), '/restore/run1');
  assert.equal(validateRestoreTarget('/restore//x/./y', ['/restore/'], 'a'), '/restore/x/y');
  assert.equal(validateRestoreTarget('/restore', ['/restore'], 'a'), '/restore');
  assert.equal(validateRestoreTarget('/anything', ['/'], 'a'), '/anything');
});

test('restore target: relative, "..", NUL are RESTORE_TARGET_INVALID', () => {
  assert.equal(
    thrownCode(() => validateRestoreTarget('restore/x', ['/restore'], 'a')),
    'RESTORE_TARGET_INVALID',
  );
  assert.equal(
    thrownCode(() => validateRestoreTarget('/restore/../etc', ['/restore'], 'a')),
    'RESTORE_TARGET_INVALID',
  );
  assert.equal(
    thrownCode(() => validateRestoreTarget('/restore/..', ['/restore'], 'a')),
    'RESTORE_TARGET_INVALID',
  );
  assert.equal(
    thrownCode(() => validateRestoreTarget('/restore/a\0b', ['/restore'], 'a')),
    'RESTORE_TARGET_INVALID',
  );
});

test('restore target: outside the roots (by whole segments) is RESTORE_TARGET_NOT_ALLOWED', () => {
  assert.equal(
    thrownCode(() => validateRestoreTarget('/restore2/x', ['/restore'], 'a')),
    'RESTORE_TARGET_NOT_ALLOWED',
  );
  assert.equal(
    thrownCode(() => validateRestoreTarget('/etc', ['/restore', '/srv/in'], 'a')),
    'RESTORE_TARGET_NOT_ALLOWED',
  );
  assert.equal(
    thrownCode(() => validateRestoreTarget('/restore', [], 'a')),
    'RESTORE_TARGET_NOT_ALLOWED',
  );
  // A name that merely starts with '..' is fine.
  assert.equal(validateRestoreTarget('/restore/..hidden', ['/restore'], 'a'), '/restore/..hidden');
  assert.equal(isUnder('/data2', '/data'), false);
  assert.equal(isUnder('/data/x', '/data/'), true);
});

test('backup paths: absolute, no NUL, no "..", deduplicated', () => {
  assert.deepEqual(normalizeSourcePaths(['/data/', '/home/u', '/data']), ['/data', '/home/u']);
  assert.deepEqual(normalizeSourcePaths(['/']), ['/']);
  assert.deepEqual(normalizeSourcePaths(['/with space/ünï "q"']), ['/with space/ünï "q"']);
  assert.equal(
    thrownCode(() => normalizeSourcePaths([])),
    'INVALID_PATH',
  );
  assert.equal(
    thrownCode(() => normalizeSourcePaths(['data'])),
    'INVALID_PATH',
  );
  assert.equal(
    thrownCode(() => normalizeSourcePaths(['/a/../b'])),
    'INVALID_PATH',
  );
  assert.equal(
    thrownCode(() => normalizeSourcePaths(['/a\0'])),
    'INVALID_PATH',
  );
});

const tape = (barcode: string, state: string, used: number, poolId: string | null = null): TapeCandidate => ({
  barcode,
  state,
  capacityBytes: 1000,
  usedBytes: used,
  poolId,
});

test('tape choice: the ACTIVE tape with most free space, then SCRATCH, else none', () => {
  assert.equal(chooseBackupTape([tape('A', 'SCRATCH', 0), tape('B', 'ACTIVE', 900), tape('C', 'ACTIVE', 100)], null), 'C');
  assert.equal(chooseBackupTape([tape('B', 'ACTIVE', 1000), tape('D', 'SCRATCH', 0), tape('A', 'SCRATCH', 0)], null), 'A');
  assert.equal(chooseBackupTape([], null), null);
});

test('tape choice never takes an ACTIVE tape with less room than the minimum share of its capacity', () => {
  // Capacity 1000: 1% is 10 bytes of room.
  assert.equal(chooseBackupTape([tape('A', 'ACTIVE', 995), tape('S', 'SCRATCH', 0)], null), 'S', '5 bytes left is too little');
  assert.equal(chooseBackupTape([tape('A', 'ACTIVE', 990), tape('S', 'SCRATCH', 0)], null), 'A', '10 bytes left is enough');
  assert.equal(chooseBackupTape([tape('A', 'ACTIVE', 900), tape('S', 'SCRATCH', 0)], null, null, 20), 'S', 'a site asking for 20% room');
  assert.equal(chooseBackupTape([tape('F', 'FULL', 100)], null), null, 'a FULL tape is never chosen');
});

test('tape choice with a pool: its tapes, or scratch tapes in no pool', () => {
  const tapes = [tape('A', 'ACTIVE', 0, 'other'), tape('B', 'SCRATCH', 0, 'other'), tape('C', 'SCRATCH', 0, null), tape('D', 'SCRATCH', 0, 'p')];
  assert.equal(chooseBackupTape(tapes, 'p'), 'D');
  assert.equal(chooseBackupTape(tapes.slice(0, 3), 'p'), 'C');
  assert.equal(chooseBackupTape(tapes.slice(0, 2), 'p'), null);
  assert.equal(chooseBackupTape([tape('E', 'ACTIVE', 10, 'p'), ...tapes], 'p'), 'E');
});

test('format without force: refused when the tape holds data', () => {
  const empty = { state: 'SCRATCH', formatted: false, usedBytes: 0, hasPlacements: false };
  assert.equal(formatBlockReason(empty), null);
  assert.equal(formatBlockReason({ ...empty, formatted: true, usedBytes: EMPTY_VOLUME_OVERHEAD_BYTES }), null);
  assert.match(formatBlockReason({ ...empty, formatted: true, usedBytes: EMPTY_VOLUME_OVERHEAD_BYTES + 1 })!, /in use/);
  assert.match(formatBlockReason({ ...empty, state: 'ACTIVE' })!, /ACTIVE/);
  assert.match(formatBlockReason({ ...empty, hasPlacements: true })!, /catalog/);
});

test('format agent: the library that holds the tape, else the named agent, else the last holder', () => {
  const b = { id: 'agent-b', name: 'b' };
  assert.equal(formatAgentId('T1', 'agent-a', null, 'agent-c'), 'agent-a');
  assert.equal(formatAgentId('T1', 'agent-a', { id: 'agent-a', name: 'a' }, null), 'agent-a');
  assert.equal(
    thrownCode(() => formatAgentId('T1', 'agent-a', b, null)),
    'TAPE_NOT_IN_LIBRARY',
  );
  // In no library: the operator's choice wins over where it was last.
  assert.equal(formatAgentId('T1', null, b, 'agent-c'), 'agent-b');
  assert.equal(formatAgentId('T1', null, null, 'agent-c'), 'agent-c');
  assert.equal(
    thrownCode(() => formatAgentId('T1', null, null, null)),
    'TAPE_AGENT_UNKNOWN',
  );
});

test('a verify is read by the agent holding its tapes, the named one, or the last holder', () => {
  const tape = (barcode: string, agentId: string | null, lastAgentId: string | null = null) => ({
    barcode,
    agentId,
    agentName: agentId ? `name-${agentId}` : null,
    lastAgentId,
  });
  assert.equal(readerAgentId([tape('T1', 'a'), tape('T2', 'a')], null), 'a');
  // One tape on the shelf: it is asked for in the holder's library.
  assert.equal(readerAgentId([tape('T1', null, 'z'), tape('T2', 'a')], null), 'a');
  assert.equal(readerAgentId([tape('T1', null, 'z')], null), 'z');
  assert.equal(readerAgentId([tape('T1', null, 'z')], { id: 'b', name: 'b' }), 'b');
  assert.equal(readerAgentId([tape('T1', 'b')], { id: 'b', name: 'b' }), 'b');
  assert.equal(
    thrownCode(() => readerAgentId([tape('T1', 'a'), tape('T2', 'b')], { id: 'b', name: 'b' })),
    'TAPE_NOT_IN_LIBRARY',
  );
  assert.equal(
    thrownCode(() => readerAgentId([tape('T1', 'a'), tape('T2', 'b')], null)),
    'TAPES_IN_SEVERAL_LIBRARIES',
  );
  assert.equal(
    thrownCode(() => readerAgentId([tape('T1', null)], null)),
    'TAPE_AGENT_UNKNOWN',
  );
});

test("a format the agent's own policy forbids is refused with POLICY_DENIED; an agent that never said is left to decide", () => {
  const agent = (allowFormat: boolean | null, allowForceFormat: boolean | null) => ({ name: 'a1', allowFormat, allowForceFormat });
  assert.throws(
    () => checkAgentFormats(false, agent(false, false)),
    (e: Error & { code?: string }) => e.code === 'POLICY_DENIED' && /allowFormat/.test(e.message),
  );
  assert.throws(
    () => checkAgentFormats(true, agent(true, false)),
    (e: Error & { code?: string }) => e.code === 'POLICY_DENIED' && /allowForceFormat/.test(e.message),
  );
  assert.doesNotThrow(() => checkAgentFormats(false, agent(true, false)));
  assert.doesNotThrow(() => checkAgentFormats(true, agent(true, true)));
  assert.doesNotThrow(() => checkAgentFormats(true, agent(null, null)));
});
