// The agent's comparison of a scan with the base run (pure: the base stream and the hashing are fakes).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { FileType, IncrementalLevel, type IncrementalBaseEntry, type IncrementalBaseResponse } from '@ferrite/proto';
import { diffWithBase, orderKey, sortForDiff, type BaseDiffOptions } from '../../../src/backup/base-diff.js';
import type { SourceEntry } from '../../../src/backup/source-scan.js';

const sha = (s: string) => createHash('sha256').update(s).digest();

function file(path: string, over: Partial<SourceEntry> = {}): SourceEntry {
  // Each path its own inode, as on a real file system.
  const inode = [...path].reduce((n, c) => n * 31 + c.charCodeAt(0), 7) % 1_000_000_007;
  return {
    path,
    type: 'file',
    size: 10,
    mtimeMs: 1_700_000_000_000,
    mtimeNanos: 400_123,
    ctimeMs: 1_700_000_000_000,
    ctimeNanos: 999_999,
    mode: 0o644,
    uid: 0,
    gid: 0,
    inode,
    symlinkTarget: '',
    ...over,
  };
}

function baseOf(e: SourceEntry, over: Partial<IncrementalBaseEntry> = {}): IncrementalBaseEntry {
  return {
    path: e.path,
    type: e.type === 'file' ? FileType.FILE_TYPE_FILE : e.type === 'directory' ? FileType.FILE_TYPE_DIRECTORY : FileType.FILE_TYPE_SYMLINK,
    size: e.type === 'file' ? e.size : 0,
    mtimeMs: e.mtimeMs,
    mtimeNanos: e.mtimeNanos,
    ctimeMs: e.ctimeMs,
    inode: e.inode,
    mode: e.mode,
    sha256: e.type === 'file' ? sha(e.path) : Buffer.alloc(0),
    symlinkTarget: e.symlinkTarget,
    contentSufficient: false,
    confirmed: false,
    ...over,
  };
}

/** The base as the server sends it: sorted, split over several messages. */
async function* stream(entries: IncrementalBaseEntry[], level = IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL): AsyncGenerator<IncrementalBaseResponse> {
  const sorted = [...entries].sort((a, b) => Buffer.compare(orderKey(a.path), orderKey(b.path)));
  for (let i = 0; i === 0 || i < sorted.length; i += 2) {
    yield { baseRunId: 'base-run', level, note: i === 0 ? 'compared' : '', entries: sorted.slice(i, i + 2) };
  }
}

const opts = (over: Partial<BaseDiffOptions> = {}): BaseDiffOptions => ({
  level: IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL,
  compareContent: false,
  hashFile: async (e) => sha(e.path),
  ...over,
});

describe('sortForDiff', () => {
  it('orders by directory then name, like the server (not by full path)', () => {
    const paths = ['/a/b-x', '/a/b/c', '/a/b', '/a', '/a/B'];
    assert.deepEqual(
      sortForDiff(paths.map((p) => file(p))).map((e) => e.path),
      ['/a', '/a/B', '/a/b', '/a/b-x', '/a/b/c'],
    );
  });
});

describe('diffWithBase', () => {
  const dir = file('/d', { type: 'directory', size: 0 });
  const same = file('/d/same');
  const changed = file('/d/changed');
  const gone = file('/d/gone');
  const touched = file('/d/touched');

  it('records new and changed entries, marks deletions and skips unchanged ones', async () => {
    const scan = sortForDiff([dir, same, { ...changed, size: 11 }, touched, file('/d/new'), { ...touched, path: '/d/touched2', mtimeMs: 1 }]);
    const base = [dir, same, changed, gone, { ...touched, mtimeMs: touched.mtimeMs - 1000 }].map((e) => baseOf(e));
    const d = await diffWithBase(scan, stream(base), opts());
    assert.deepEqual(d.record.map((e) => e.path).sort(), ['/d/changed', '/d/new', '/d/touched', '/d/touched2']);
    assert.deepEqual(
      d.deleted.map((r) => [r.path, r.deleted]),
      [['/d/gone', true]],
    );
    assert.equal(d.unchanged, 2);
    assert.equal(d.baseRunId, 'base-run');
    assert.equal(d.note, 'compared');
  });

  it('compares times to the nanosecond: a change below the millisecond is a change', async () => {
    const now = { ...touched, mtimeNanos: touched.mtimeNanos + 1 };
    const d = await diffWithBase([now], stream([baseOf(touched)]), opts());
    assert.deepEqual(
      d.record.map((e) => e.path),
      ['/d/touched'],
    );
    const again = await diffWithBase([touched], stream([baseOf(touched)]), opts());
    assert.equal(again.unchanged, 1);
  });

  it('compares with a base recorded before nanosecond times the way its agent rounded, so an upgrade re-reads nothing', async () => {
    // ...000.9996 ms was stored as ...001 ms (Math.round); ctime ...000.999999 as ...001.
    const late = { ...same, mtimeNanos: 999_600, ctimeNanos: 999_999 };
    const legacy = baseOf(late, { mtimeMs: late.mtimeMs + 1, mtimeNanos: undefined, ctimeMs: late.ctimeMs + 1 });
    const d = await diffWithBase([late], stream([legacy]), opts());
    assert.equal(d.unchanged, 1, 'the rounded base matches');
    const moved = await diffWithBase([{ ...late, mtimeNanos: 400_000 }], stream([legacy]), opts());
    assert.deepEqual(
      moved.record.map((e) => e.path),
      [late.path],
      'a time that rounds to another millisecond changed',
    );
  });

  it('with compareContent, a touched file with the same bytes is recorded by reference, not written', async () => {
    const now = { ...touched, mtimeMs: touched.mtimeMs + 5000 };
    const d = await diffWithBase([now], stream([baseOf(touched)]), opts({ compareContent: true }));
    assert.deepEqual(d.record, []);
    assert.equal(d.byReference.length, 1);
    assert.ok(d.byReference[0].sha256.equals(sha('/d/touched')));
    const differs = await diffWithBase([now], stream([baseOf(touched)]), opts({ compareContent: true, hashFile: async () => sha('other') }));
    assert.deepEqual(
      differs.record.map((e) => e.path),
      ['/d/touched'],
    );
  });

  it('treats a new inode or ctime as a change (a file replaced in place)', async () => {
    const d = await diffWithBase(
      sortForDiff([
        { ...same, inode: 99 },
        { ...changed, ctimeMs: changed.ctimeMs + 1 },
      ]),
      stream([baseOf(same), baseOf(changed)]),
      opts(),
    );
    assert.deepEqual(d.record.map((e) => e.path).sort(), ['/d/changed', '/d/same']);
  });

  it('a FULL run records unchanged files again, by reference only when the pool has enough copies', async () => {
    const full = IncrementalLevel.INCREMENTAL_LEVEL_FULL;
    const d = await diffWithBase([changed, same], stream([baseOf(changed), baseOf(same, { contentSufficient: true })], full), opts({ level: full }));
    assert.deepEqual(
      d.record.map((e) => e.path),
      ['/d/changed'],
    );
    assert.deepEqual(
      d.byReference.map((r) => r.entry.path),
      ['/d/same'],
    );
    assert.equal(d.unchanged, 0);
  });

  it('records a renamed file (same inode, size, mtime) by reference in an INCREMENTAL, not in a plain FULL', async () => {
    const moved = { ...gone, path: '/d/moved-here' };
    const d = await diffWithBase(sortForDiff([dir, moved]), stream([baseOf(dir), baseOf(gone)]), opts());
    assert.deepEqual(d.record, []);
    assert.deepEqual(
      d.byReference.map((r) => [r.entry.path, r.sha256.equals(sha('/d/gone'))]),
      [['/d/moved-here', true]],
    );
    assert.deepEqual(
      d.deleted.map((r) => r.path),
      ['/d/gone'],
    );
    const other = await diffWithBase([{ ...moved, inode: moved.inode + 1 }], stream([baseOf(gone)]), opts());
    assert.deepEqual(
      other.record.map((e) => e.path),
      ['/d/moved-here'],
      'another inode is another file',
    );
    const full = IncrementalLevel.INCREMENTAL_LEVEL_FULL;
    const plainFull = await diffWithBase([moved], stream([baseOf(gone)], full), opts({ level: full }));
    assert.deepEqual(
      plainFull.record.map((e) => e.path),
      ['/d/moved-here'],
    );
  });

  it('a resumed FULL skips what an earlier attempt confirmed and still compares the rest with the base', async () => {
    const full = IncrementalLevel.INCREMENTAL_LEVEL_FULL;
    const later = file('/d/later');
    const base = [
      baseOf(dir, { confirmed: true }),
      baseOf(same, { confirmed: true }),
      baseOf(changed, { confirmed: true }),
      baseOf(later, { contentSufficient: true }),
      baseOf(gone, { confirmed: true }),
    ];
    const scan = sortForDiff([dir, same, { ...changed, size: 11 }, later, file('/d/new')]);
    const d = await diffWithBase(scan, stream(base, full), opts({ level: full }));
    assert.equal(d.confirmed, 2, 'the directory and the unchanged file are not recorded again');
    // Changed since it was confirmed: written again (the ingest replaces it in the same run).
    assert.deepEqual(
      d.record.map((e) => e.path),
      ['/d/changed', '/d/new'],
    );
    assert.deepEqual(
      d.byReference.map((r) => r.entry.path),
      ['/d/later'],
      'not confirmed yet: the FULL rules apply',
    );
    assert.deepEqual(
      d.deleted.map((r) => r.path),
      ['/d/gone'],
      'confirmed, then deleted: marked deleted',
    );
    assert.equal(d.unchanged, 0);
  });

  it('a resumed INCREMENTAL counts confirmed entries apart from the unchanged ones', async () => {
    const d = await diffWithBase(sortForDiff([same, changed]), stream([baseOf(same, { confirmed: true }), baseOf(changed)]), opts());
    assert.equal(d.confirmed, 1);
    assert.equal(d.unchanged, 1);
    assert.deepEqual(d.record, []);
  });

  it('with no base, everything is new', async () => {
    const d = await diffWithBase([dir, same], stream([], IncrementalLevel.INCREMENTAL_LEVEL_FULL), opts());
    assert.deepEqual(
      d.record.map((e) => e.path),
      ['/d', '/d/same'],
    );
    assert.equal(d.level, IncrementalLevel.INCREMENTAL_LEVEL_FULL);
  });
});
