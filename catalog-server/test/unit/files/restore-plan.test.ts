import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FileType } from '@ferrite/proto';
import type { FileVersionRow, PlacementRow } from '../../../src/modules/files/file-search.repository.js';
import { buildRestorePlan, chooseCopy, tallyReaders, type ReaderScore } from '../../../src/modules/files/restore-plan.js';

const JOB = 'job-1';
let nextId = 1;

function version(dirPath: string, name: string, over: Partial<FileVersionRow> = {}): FileVersionRow {
  const id = String(nextId++);
  return {
    id,
    host: 'h',
    dirPath,
    name,
    type: 'FILE',
    size: 100,
    mtime: new Date(1_700_000_000_000),
    mtimeNanos: 999_600,
    attributes: { xattrs: [], linkCount: 0, hardLinkTo: '', dataMap: [], device: null, changedDuringBackup: false },
    ownership: { uid: null, gid: null, owner: null, group: null },
    mode: 0o100644,
    sha256: Buffer.alloc(32, 1),
    symlinkTarget: null,
    runId: 'r',
    jobId: JOB,
    archivedAt: new Date(),
    deleted: false,
    contentId: `c${id}`,
    ...over,
  };
}

function placement(contentId: string, over: Partial<PlacementRow> = {}): PlacementRow {
  return {
    contentId,
    barcode: 'T1',
    partition: 'b',
    startBlock: 0,
    containerPath: '/x',
    offset: 0,
    length: 100,
    segment: 0,
    fileOffset: 0,
    copy: 1,
    jobId: JOB,
    segmentSha256: null,
    ...over,
  };
}

describe('buildRestorePlan', () => {
  it('orders each tape by partition, start block and offset, and tapes by barcode', () => {
    const a = version('/d', 'a');
    const b = version('/d', 'b');
    const c = version('/d', 'c');
    const d = version('/d', 'd');
    const plan = buildRestorePlan(
      'h',
      [a, b, c, d],
      [
        placement(a.contentId!, { barcode: 'T2', startBlock: 50 }),
        placement(b.contentId!, { startBlock: 900 }),
        placement(c.contentId!, { startBlock: 20, containerPath: '/bundle', offset: 4096 }),
        placement(d.contentId!, { startBlock: 20, containerPath: '/bundle', offset: 512 }),
      ],
    );
    assert.deepEqual(
      plan.tapes.map((t) => t.barcode),
      ['T1', 'T2'],
    );
    assert.deepEqual(
      plan.tapes[0].items.map((i) => i.path),
      ['/d/d', '/d/c', '/d/b'],
    );
    assert.equal(plan.tapes[0].items[0].location?.offset, 512);
    assert.equal(plan.fileCount, 4);
    assert.equal(plan.byteCount, 400);
  });

  it('puts directories (parents first), symlinks and empty files in metadataItems', () => {
    const rows = [
      version('/d/sub', '', { type: 'DIRECTORY', name: 'deeper', contentId: null, sha256: null }),
      version('/d', 'sub', { type: 'DIRECTORY', contentId: null, sha256: null }),
      version('/', 'd', { type: 'DIRECTORY', contentId: null, sha256: null }),
      version('/d', 'link', { type: 'SYMLINK', contentId: null, sha256: null, symlinkTarget: 'sub' }),
      version('/d', 'empty', { size: 0 }),
    ];
    const plan = buildRestorePlan('h', rows, []);
    assert.deepEqual(
      plan.metadataItems.map((i) => i.path),
      ['/d', '/d/sub', '/d/sub/deeper', '/d/empty', '/d/link'],
    );
    assert.equal(plan.metadataItems[0].type, FileType.FILE_TYPE_DIRECTORY);
    assert.equal(plan.metadataItems[4].symlinkTarget, 'sub');
    assert.equal(plan.metadataItems[0].sha256.length, 0);
    assert.ok(plan.metadataItems.every((i) => i.location === undefined));
    assert.equal(plan.tapes.length, 0);
    assert.equal(plan.fileCount, 1);
  });

  it('lists a file spanning tapes once per segment, each with its own location', () => {
    const big = version('/d', 'big', { size: 150 });
    const plan = buildRestorePlan(
      'h',
      [big],
      [
        placement(big.contentId!, { barcode: 'T1', startBlock: 400, length: 100 }),
        placement(big.contentId!, { barcode: 'T2', startBlock: 0, length: 50, segment: 1, fileOffset: 100 }),
      ],
    );
    assert.deepEqual(
      plan.tapes.map((t) => [t.barcode, t.items[0].location?.segment, t.items[0].location?.fileOffset]),
      [
        ['T1', 0, 0],
        ['T2', 1, 100],
      ],
    );
    assert.equal(plan.byteCount, 150);
  });

  it("gives each segment's location its own SHA-256, and an empty one to a file in one piece", () => {
    const big = version('/d', 'big', { size: 150 });
    const small = version('/d', 'small');
    const first = Buffer.alloc(32, 0xa1);
    const second = Buffer.alloc(32, 0xb2);
    const plan = buildRestorePlan(
      'h',
      [big, small],
      [
        placement(big.contentId!, { barcode: 'T2', startBlock: 0, length: 50, segment: 1, fileOffset: 100, segmentSha256: second }),
        placement(big.contentId!, { barcode: 'T1', startBlock: 400, length: 100, segmentSha256: first }),
        placement(small.contentId!, { barcode: 'T1', startBlock: 5 }),
      ],
    );
    const items = plan.tapes.flatMap((t) => t.items);
    assert.deepEqual(
      items.map((i) => [i.path, i.location?.barcode, i.location?.segment, i.location?.segmentSha256.toString('hex')]),
      [
        ['/d/small', 'T1', 0, ''],
        ['/d/big', 'T1', 0, first.toString('hex')],
        ['/d/big', 'T2', 1, second.toString('hex')],
      ],
    );
    // The item's own sha256 stays the whole file's: the agent checks the file once it is whole.
    assert.ok(items.every((i) => i.sha256.equals(Buffer.alloc(32, 1))));
  });

  it('gives each item the owner and group of its version, and none when the catalog does not know them', () => {
    const owned = version('/d', 'owned', { ownership: { uid: 4_294_967_294, gid: 100, owner: null, group: 'users' } });
    const unknown = version('/d', 'unknown');
    const plan = buildRestorePlan('h', [owned, unknown], [placement(owned.contentId!), placement(unknown.contentId!, { startBlock: 9 })]);
    const of = (name: string) => plan.tapes[0].items.find((i) => i.path === `/d/${name}`)!;
    assert.deepEqual([of('owned').uid, of('owned').gid, of('owned').owner, of('owned').group], [4_294_967_294, 100, '', 'users']);
    assert.deepEqual([of('unknown').uid, of('unknown').gid, of('unknown').owner, of('unknown').group], [undefined, undefined, '', '']);
  });

  it('refuses a non-empty file the catalog has no tape copy of', () => {
    assert.throws(() => buildRestorePlan('h', [version('/d', 'lost')], []), { code: 'CATALOG_ERROR' });
  });
});

describe('chooseCopy', () => {
  it('prefers a complete set, then the own job, then the lowest copy', () => {
    const v = version('/d', 'f', { size: 100 });
    const partial = placement(v.contentId!, { jobId: JOB, length: 40 });
    const other = placement(v.contentId!, { jobId: 'job-0', barcode: 'T9' });
    assert.equal(chooseCopy(v, [partial, other])[0].barcode, 'T9');
    const own = placement(v.contentId!, { jobId: JOB, barcode: 'T5' });
    assert.equal(chooseCopy(v, [other, own])[0].barcode, 'T5');
    const copy2 = placement(v.contentId!, { jobId: JOB, barcode: 'T6', copy: 2 });
    assert.equal(chooseCopy(v, [copy2, own])[0].barcode, 'T5');
  });

  it('reads copy 2 when copy 1 is on a tape that cannot be read now, and never both', () => {
    const v = version('/d', 'f', { size: 100 });
    const one = placement(v.contentId!, { jobId: JOB, barcode: 'C1', copy: 1 });
    const two = placement(v.contentId!, { jobId: JOB, barcode: 'C2', copy: 2 });
    const rank = (ranks: Record<string, number>) => (b: string) => ranks[b] ?? 0;
    assert.deepEqual(
      chooseCopy(v, [two, one], rank({})).map((p) => p.barcode),
      ['C1'],
    );
    assert.deepEqual(
      chooseCopy(v, [one, two], rank({ C1: 2 })).map((p) => p.barcode),
      ['C2'],
      'copy 1 retired',
    );
    assert.deepEqual(
      chooseCopy(v, [one, two], rank({ C1: 1 })).map((p) => p.barcode),
      ['C2'],
      'copy 1 offsite',
    );
    assert.deepEqual(
      chooseCopy(v, [one, two], rank({ C1: 2, C2: 1 })).map((p) => p.barcode),
      ['C2'],
      'offsite beats retired',
    );
    assert.deepEqual(
      chooseCopy(v, [one, two], rank({ C1: 2, C2: 2 })).map((p) => p.barcode),
      ['C1'],
      'nothing better: still copy 1',
    );
    const plan = buildRestorePlan('h', [v], [one, two], rank({ C1: 2 }));
    assert.deepEqual(
      plan.tapes.map((t) => [t.barcode, t.items.length, t.items[0].location!.copy]),
      [['C2', 1, 2]],
    );
  });

  it('keeps one placement per segment when an attempt wrote a segment twice', () => {
    const v = version('/d', 'f', { size: 100 });
    const chosen = chooseCopy(v, [placement(v.contentId!, { startBlock: 5 }), placement(v.contentId!, { startBlock: 9, containerPath: '/y' })]);
    assert.equal(chosen.length, 1);
  });

  it('names every other complete copy the restoring agent can load as alternates, lowest copy first', () => {
    const whole = version('/d', 'whole', { size: 100 });
    const spanned = version('/d', 'spanned', { size: 100 });
    const placements = [
      placement(whole.contentId!, { barcode: 'A1', copy: 1 }),
      placement(whole.contentId!, { barcode: 'A3', copy: 3, startBlock: 7 }),
      placement(whole.contentId!, { barcode: 'A2', copy: 2, startBlock: 4 }),
      placement(whole.contentId!, { barcode: 'OTHER', copy: 4 }),
      placement(spanned.contentId!, { barcode: 'A1', copy: 1, length: 60 }),
      placement(spanned.contentId!, { barcode: 'A1b', copy: 1, segment: 1, fileOffset: 60, length: 40 }),
      placement(spanned.contentId!, { barcode: 'A2', copy: 2, length: 60, startBlock: 9 }),
      placement(spanned.contentId!, { barcode: 'A2b', copy: 2, segment: 1, fileOffset: 60, length: 40 }),
      // An incomplete copy is never an alternate.
      placement(spanned.contentId!, { barcode: 'A3', copy: 3, length: 60 }),
    ];
    const here = new Set(['A1', 'A1b', 'A2', 'A2b', 'A3']);
    const plan = buildRestorePlan(
      'h',
      [whole, spanned],
      placements,
      (b) => (here.has(b) ? 0 : 3),
      (b) => here.has(b),
    );
    const items = plan.tapes.flatMap((t) => t.items);
    const wholeItem = items.find((i) => i.path === '/d/whole')!;
    assert.equal(wholeItem.location!.barcode, 'A1');
    assert.deepEqual(
      wholeItem.alternates.map((l) => [l.barcode, l.copy, l.startBlock]),
      [
        ['A2', 2, 4],
        ['A3', 3, 7],
      ],
    );
    const pieces = items.filter((i) => i.path === '/d/spanned');
    assert.deepEqual(
      pieces.map((i) => i.location!.barcode),
      ['A1', 'A1b'],
    );
    for (const piece of pieces) {
      assert.deepEqual(
        piece.alternates.map((l) => [l.barcode, l.segment, l.fileOffset]),
        [
          ['A2', 0, 0],
          ['A2b', 1, 60],
        ],
      );
    }
  });

  it("reads a copy on the shelf rather than one locked in another agent's library", () => {
    const v = version('/d', 'f', { size: 100 });
    const ranks: Record<string, number> = { ELSEWHERE: 3, SHELF: 1 };
    const chosen = chooseCopy(
      v,
      [placement(v.contentId!, { barcode: 'ELSEWHERE', copy: 1 }), placement(v.contentId!, { barcode: 'SHELF', copy: 2 })],
      (b) => ranks[b],
    );
    assert.deepEqual(
      chosen.map((p) => p.barcode),
      ['SHELF'],
    );
  });
});

describe('tallyReaders', () => {
  it('counts for each agent the files it holds a complete copy of, and the entries it wrote', () => {
    const one = version('/d', 'one', { jobId: 'jobA' });
    const two = version('/d', 'two', { jobId: 'jobA' });
    const split = version('/d', 'split', { jobId: 'jobB' });
    const dir = version('/', 'd', { type: 'DIRECTORY', size: 0, contentId: null, jobId: 'jobA' });
    const holder: Record<string, string> = { TA: 'agentA', TB: 'agentB', TB2: 'agentB', TA2: 'agentA' };
    const scores = new Map<string, ReaderScore>();
    tallyReaders(
      [one, two, split, dir],
      [
        placement(one.contentId!, { barcode: 'TA', copy: 1 }),
        placement(one.contentId!, { barcode: 'TB', copy: 2 }),
        placement(two.contentId!, { barcode: 'TB', copy: 1 }),
        // Split between two libraries: a complete copy in neither.
        placement(split.contentId!, { barcode: 'TA', length: 50 }),
        placement(split.contentId!, { barcode: 'TB2', segment: 1, fileOffset: 50, length: 50 }),
      ],
      (b) => holder[b],
      (job) => ({ jobA: 'agentA' })[job],
      scores,
    );
    assert.deepEqual(Object.fromEntries(scores), { agentA: { inLibrary: 1, wrote: 3 }, agentB: { inLibrary: 2, wrote: 0 } });
  });
});
