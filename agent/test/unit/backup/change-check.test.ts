// The comparison that finds a file changed while it was read: the lstat after the read against the scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeSince, refreshed } from '../../../src/backup/change-check.js';
import type { StatResult } from '../../../src/backup/fs-batch.js';
import type { SourceEntry } from '../../../src/backup/source-scan.js';

const scanned: SourceEntry = {
  path: '/data/log',
  type: 'file',
  size: 100,
  mtimeMs: 1_700_000_000_123,
  mtimeNanos: 456_789,
  ctimeMs: 1_700_000_000_200,
  ctimeNanos: 1,
  mode: 0o644,
  uid: 1000,
  gid: 1000,
  inode: 42,
  dev: 7,
  nlink: 1,
  blocks: 8,
  symlinkTarget: '',
  dataMap: [{ offset: 0, length: 100 }],
};

function now(over: Partial<Extract<StatResult, { ok: true }>> = {}): StatResult {
  return {
    ok: true,
    kind: 'file',
    size: 100,
    mtime: { ms: 1_700_000_000_123, nanos: 456_789 },
    ctime: { ms: 1_700_000_000_200, nanos: 1 },
    mode: 0o100644,
    uid: 1000,
    gid: 1000,
    ino: 42,
    nlink: 1,
    dev: 7,
    blocks: 8,
    rdevMajor: 0,
    rdevMinor: 0,
    ...over,
  };
}

test('the same size, times to the nanosecond, inode and device: unchanged', () => {
  assert.equal(changeSince(scanned, now()), null);
  assert.equal(changeSince(scanned, now(), 100), null);
  // A device unknown to the scan (an older entry) is not compared.
  assert.equal(changeSince({ ...scanned, dev: undefined }, now({ dev: 9 })), null);
});

test('names every figure that differs', () => {
  assert.equal(changeSince(scanned, now({ size: 120 })), 'size 100 -> 120 bytes');
  // One nanosecond is a change (a float of milliseconds would not see it).
  assert.equal(changeSince(scanned, now({ mtime: { ms: 1_700_000_000_123, nanos: 456_790 } })), 'mtime');
  assert.equal(changeSince(scanned, now({ ctime: { ms: 1_700_000_000_200, nanos: 2 } })), 'ctime');
  assert.equal(changeSince(scanned, now({ ino: 43 })), 'inode (replaced by another file)');
  assert.equal(changeSince(scanned, now({ dev: 8 })), 'device');
  assert.equal(changeSince(scanned, now({ size: 0, mtime: { ms: 1, nanos: 0 }, ctime: { ms: 1, nanos: 0 } })), 'size 100 -> 0 bytes, mtime, ctime');
  // Bytes read that are not the size, though the size now is the scan's (a truncate and a regrow).
  assert.equal(changeSince(scanned, now(), 60), '60 of 100 bytes read');
});

test('a file gone or replaced by something else after the read', () => {
  assert.equal(changeSince(scanned, { ok: false, code: 'ENOENT', message: 'gone' }), 'it vanished after the read (ENOENT)');
  assert.equal(changeSince(scanned, now({ kind: 'fifo' })), 'it is no longer a regular file (now a fifo)');
});

test('an entry brought up to date from a fresh lstat, its holes to be found again', () => {
  const fresh = refreshed(scanned, now({ size: 300, mtime: { ms: 5, nanos: 6 }, ctime: { ms: 7, nanos: 8 }, ino: 50, mode: 0o100600, nlink: 2, blocks: 1 }));
  assert.deepEqual(fresh, {
    ...scanned,
    size: 300,
    mtimeMs: 5,
    mtimeNanos: 6,
    ctimeMs: 7,
    ctimeNanos: 8,
    inode: 50,
    mode: 0o600,
    nlink: 2,
    blocks: 1,
    dev: 7,
    dataMap: undefined,
  });
  assert.equal(refreshed(scanned, now({ kind: 'directory' })), null);
  assert.equal(refreshed(scanned, { ok: false, code: 'ENOENT', message: 'gone' }), null);
});
