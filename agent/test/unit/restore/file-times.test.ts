// Times to the nanosecond: the split carried on the wire and on tape, and the setter a restore uses
// (real files: utimensat through the helper, and Node's microsecond fallback).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { joinNs, legacyRoundedMs, splitNs, toTimespec } from '../../../src/backup/file-time.js';
import { openTimeSetter, type TimeSetter } from '../../../src/restore/file-times.js';

describe('file times as milliseconds plus nanoseconds', () => {
  it('split and join back exactly, before the epoch too', () => {
    for (const ns of [0n, 1n, -1n, 999_999n, 1_000_000n, -1_000_000n, 1_700_000_021_999_600_000n, 4_102_444_800_123_456_789n, -86_400_000_000_001n]) {
      const { ms, nanos } = splitNs(ns);
      assert.ok(Number.isSafeInteger(ms) && nanos >= 0 && nanos < 1_000_000, `${ns}`);
      assert.equal(joinNs(ms, nanos), ns);
    }
    assert.deepEqual(splitNs(-1n), { ms: -1, nanos: 999_999 });
    assert.deepEqual(splitNs(1_700_000_021_999_600_000n), { ms: 1_700_000_021_999, nanos: 600_000 });
  });

  it('timespecs have 0..999,999,999 nanoseconds', () => {
    assert.deepEqual(toTimespec(-1, 999_999), { sec: -1n, nsec: 999_999_999n });
    assert.deepEqual(toTimespec(1_700_000_021_999, 600_000), { sec: 1_700_000_021n, nsec: 999_600_000n });
  });

  it('rounds as agents before nanosecond times did (Math.round of the float milliseconds)', () => {
    assert.equal(legacyRoundedMs({ ms: 21_999, nanos: 600_000 }), 22_000);
    assert.equal(legacyRoundedMs({ ms: 21_999, nanos: 499_999 }), 21_999);
    assert.equal(legacyRoundedMs({ ms: 21_999, nanos: 500_000 }), Math.round(21_999.5));
  });
});

describe('restoring times', () => {
  let dir: string;
  let setter: TimeSetter;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ferrite-times-'));
    setter = await openTimeSetter();
  });
  after(async () => {
    await setter.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uses utimensat (this machine has perl) and sets files and symlinks to the nanosecond', async () => {
    assert.equal(setter.exact, true);
    const file = path.join(dir, `tab\there and\nnewline ${'n'.repeat(200)}`);
    await writeFile(file, 'x');
    const link = path.join(dir, 'dangling');
    await symlink('/nonexistent/target', link);
    for (const ns of [1_700_000_021_999_600_000n, 1_650_000_000_000_000_001n, -1n, 0n, 4_102_444_800_123_456_789n]) {
      const { ms, nanos } = splitNs(ns);
      await setter.set(file, ms, nanos, false);
      await setter.set(link, ms + 1, nanos, true);
      assert.equal((await lstat(file, { bigint: true })).mtimeNs, ns);
      assert.equal((await lstat(file, { bigint: true })).atimeNs, ns);
      assert.equal((await lstat(link, { bigint: true })).mtimeNs, ns + 1_000_000n, 'the link itself, not its target');
    }
  });

  it('fails one path with its errno, and goes on answering', async () => {
    await assert.rejects(
      setter.set(path.join(dir, 'missing'), 0, 0, false),
      (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.syscall === 'utimensat',
    );
    const file = path.join(dir, 'after');
    await writeFile(file, 'y');
    await setter.set(file, 5, 6, false);
    assert.equal((await lstat(file, { bigint: true })).mtimeNs, 5_000_006n);
  });
});
