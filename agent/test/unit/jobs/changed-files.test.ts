// onChange: what a backup does with a file that changed while it was read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnChange } from '@ferrite/proto';
import { ChangedFiles } from '../../../src/jobs/changed-files.js';

const a = { path: '/data/a' };
const b = { path: '/data/b' };

test('RETRY (also the default): read again once, then flagged; the job does not fail', () => {
  for (const mode of [OnChange.ON_CHANGE_RETRY, OnChange.ON_CHANGE_UNSPECIFIED, undefined]) {
    const c = new ChangedFiles(mode);
    assert.equal(c.mode, OnChange.ON_CHANGE_RETRY);
    assert.equal(c.onChanged(a, false), 'retry');
    assert.equal(c.onChanged(b, false), 'retry');
    assert.deepEqual(c.takeRetries(), [a, b]);
    assert.deepEqual(c.takeRetries(), []);
    // The read again changed too: recorded as read, flagged.
    assert.equal(c.onChanged(b, true), 'flag');
    assert.deepEqual(c.flagged, ['/data/b']);
    assert.equal(c.failure(), null);
  }
});

test('FLAG: recorded flagged at once, never read again, the job does not fail', () => {
  const c = new ChangedFiles(OnChange.ON_CHANGE_FLAG);
  assert.equal(c.onChanged(a, false), 'flag');
  assert.deepEqual(c.takeRetries(), []);
  assert.deepEqual(c.flagged, ['/data/a']);
  assert.equal(c.failure(), null);
});

test('FAIL: flagged, and the job fails FILES_CHANGED naming the first five', () => {
  const c = new ChangedFiles(OnChange.ON_CHANGE_FAIL);
  assert.equal(c.failure(), null);
  assert.equal(c.onChanged(a, false), 'flag');
  assert.deepEqual(
    [c.failure()?.code, c.failure()?.message],
    ['FILES_CHANGED', '1 file changed while it was read (saved as read and flagged; onChange FAIL): "/data/a"'],
  );
  for (let i = 0; i < 6; i++) c.onChanged({ path: `/data/n${i}` }, false);
  assert.equal(
    c.failure()?.message,
    '7 files changed while they were read (saved as read and flagged; onChange FAIL): "/data/a", "/data/n0", "/data/n1", "/data/n2", "/data/n3", and 2 more (see the job log)',
  );
});

test('a file that shrank under its read is read again under RETRY only (nothing was read to flag)', () => {
  const retry = new ChangedFiles(undefined);
  assert.equal(retry.onShrunk(a), true);
  assert.deepEqual(retry.takeRetries(), [a]);
  for (const mode of [OnChange.ON_CHANGE_FLAG, OnChange.ON_CHANGE_FAIL]) {
    const c = new ChangedFiles(mode);
    assert.equal(c.onShrunk(a), false);
    assert.deepEqual([c.takeRetries(), c.flagged, c.failure()], [[], [], null]);
  }
});

test('the job log line says what is done', () => {
  assert.equal(ChangedFiles.noteOf('/data/a', 'mtime', 'retry'), '/data/a: changed while it was read (mtime); it is read again at the end of the job');
  assert.equal(ChangedFiles.noteOf('/data/a', 'mtime', 'flag'), '/data/a: changed while it was read (mtime); saved as read and flagged changedDuringBackup');
});
