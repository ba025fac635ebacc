// Content addressing on a real PostgreSQL: one content per SHA-256 however many files share it, a
// file recorded by reference to a content already on tape, "files with fewer than N copies"
// (maxCopies), and "what would be lost if tape X died" (tapeLossImpact).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  allPaths,
  createAgent,
  createBackupJob,
  createFilesFixture,
  createTape,
  fileRecord,
  location,
  sha256,
  tableCounts,
  type FilesFixture,
  errorCodeOf as code,
} from './files-fixture.js';

describe('copies and dedup', () => {
  let f: FilesFixture;
  let agentId: string;

  before(async () => {
    f = await createFilesFixture('files-copies');
    agentId = await createAgent(f, 'host-c');
    for (const b of ['CPY001L9', 'CPY002L9', 'CPY003L9']) await createTape(f, b);
    await f.prisma.client.tape.update({ where: { barcode: 'CPY003L9' }, data: { state: 'SUSPECT' } });
    const { jobId } = await createBackupJob(f, agentId, 'host-c', ['/c']);
    const one = fileRecord('/c/one-copy', 'CPY001L9', 1);
    const two = fileRecord('/c/two-copies', 'CPY001L9', 2);
    two.locations.push(location('CPY002L9', 2, { length: two.size }));
    const suspect = fileRecord('/c/second-on-suspect', 'CPY001L9', 3);
    suspect.locations.push(location('CPY003L9', 3, { length: suspect.size }));
    const empty = fileRecord('/c/empty', 'CPY001L9', 4, { size: 0, sha256: Buffer.alloc(0), locations: [] });
    await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 1, agentId, records: [one, two, suspect, empty], manifestPath: '' });
  });
  after(() => f.close());

  it('finds files with fewer than N usable copies', async () => {
    assert.deepEqual(await allPaths(f, { maxCopies: 1 }), ['/c/one-copy', '/c/second-on-suspect']);
    // Archive order: the order the batch reported them in.
    assert.deepEqual(await allPaths(f, { maxCopies: 2 }), ['/c/one-copy', '/c/two-copies', '/c/second-on-suspect']);
    assert.deepEqual(await allPaths(f, { maxCopies: 0 }), []);
    assert.equal(await code(f.search.files({ maxCopies: -1 }, 10, undefined)), 'INVALID_ARGUMENT');
    assert.equal(await code(f.search.files({ maxCopies: 1.5 }, 10, undefined)), 'INVALID_ARGUMENT');
  });

  it('says what would be lost if a tape died', async () => {
    const first = await f.search.tapeLossImpact('CPY001L9', 50);
    assert.equal(first.contents, 2);
    assert.equal(first.fileVersions, 2);
    assert.deepEqual(
      first.files.map((v) => v.path),
      ['/c/one-copy', '/c/second-on-suspect'],
    );
    const bytes = Buffer.byteLength('/c/one-copy') + 1 + Buffer.byteLength('/c/second-on-suspect') + 1;
    assert.equal(first.bytes, bytes);
    assert.deepEqual((await f.search.tapeLossImpact('CPY001L9', 1)).files.length, 1);
    const second = await f.search.tapeLossImpact('CPY002L9', 50);
    assert.deepEqual([second.contents, second.fileVersions, second.files.length], [0, 0, 0]);
    assert.equal(await code(f.search.tapeLossImpact('NOPE01L9', 10)), 'TAPE_NOT_FOUND');
  });

  it('records a file by reference to a content on tape: one content, two versions, no new placement', async () => {
    const { jobId } = await createBackupJob(f, agentId, 'host-c', ['/d']);
    const before = await tableCounts(f);
    const copy = fileRecord('/d/same-bytes', 'CPY001L9', 0, {
      sha256: sha256('content of /c/one-copy'),
      size: Buffer.byteLength('/c/one-copy') + 1,
      locations: [],
    });
    assert.equal((await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 1, agentId, records: [copy], manifestPath: '' })).stored, 1);
    const afterCounts = await tableCounts(f);
    assert.equal(afterCounts.content, before.content);
    assert.equal(afterCounts.placement, before.placement);
    assert.equal(afterCounts.file_version, before.file_version + 1);
    const sharing = await allPaths(f, { sha256: sha256('content of /c/one-copy').toString('hex') });
    assert.deepEqual(sharing, ['/c/one-copy', '/d/same-bytes']);
    const versions = await f.search.fileVersions('host-c', '/d/same-bytes');
    assert.deepEqual(
      versions[0].placements.map((p) => p.barcode),
      ['CPY001L9'],
      'the version shows where its content lies',
    );
    assert.equal((await f.search.tapeLossImpact('CPY001L9', 50)).fileVersions, 3);
  });

  it("stores a backup's inline copies with their copy numbers, counts them, and restores from copy 2 when copy 1's tape is retired", async () => {
    for (const b of ['INL001L9', 'INL002L9']) await createTape(f, b);
    const { jobId } = await createBackupJob(f, agentId, 'host-c', ['/inline']);
    const both = (path: string, block: number) => {
      const r = fileRecord(path, 'INL001L9', block);
      r.locations = [location('INL001L9', block, { length: r.size, copy: 1 }), location('INL002L9', block + 7, { length: r.size, copy: 2 })];
      return r;
    };
    await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 1, agentId, records: [both('/inline/a', 10), both('/inline/b', 11)], manifestPath: '' });
    const { rows } = await f.prisma.pool.query<{ barcode: string; copy: number }>(
      `SELECT t.barcode, p.copy FROM placement p JOIN tape t ON t.id = p.tape_id WHERE p.job_id = $1 ORDER BY p.copy, t.barcode`,
      [jobId],
    );
    assert.deepEqual(
      rows.map((r) => [r.copy, r.barcode]),
      [
        [1, 'INL001L9'],
        [1, 'INL001L9'],
        [2, 'INL002L9'],
        [2, 'INL002L9'],
      ],
    );
    assert.ok(!(await allPaths(f, { maxCopies: 1 })).some((p) => p.startsWith('/inline/')), 'two usable copies: not at risk');
    assert.deepEqual(
      (await allPaths(f, { maxCopies: 2 })).filter((p) => p.startsWith('/inline/')),
      ['/inline/a', '/inline/b'],
    );

    // Read from copy 1 while it can be read; one copy only, never both.
    const plan = await f.restorePlan({ host: 'host-c', pathPrefix: '/inline' });
    assert.deepEqual(
      plan.tapes.map((t) => [t.barcode, t.items.length]),
      [['INL001L9', 2]],
    );
    assert.deepEqual(
      plan.tapes[0].items.map((i) => i.location!.copy),
      [1, 1],
    );
    // Copy 1's tape is retired: the same restore reads copy 2.
    await f.prisma.client.tape.update({ where: { barcode: 'INL001L9' }, data: { state: 'RETIRED' } });
    const fallback = await f.restorePlan({ host: 'host-c', pathPrefix: '/inline' });
    assert.deepEqual(
      fallback.tapes.map((t) => [t.barcode, t.items.length]),
      [['INL002L9', 2]],
    );
    assert.deepEqual(
      fallback.tapes[0].items.map((i) => [i.location!.copy, i.location!.startBlock]),
      [
        [2, 17],
        [2, 18],
      ],
    );
    assert.deepEqual(
      await allPaths(f, { maxCopies: 1 }).then((ps) => ps.filter((p) => p.startsWith('/inline/'))),
      ['/inline/a', '/inline/b'],
      'one usable copy left',
    );
  });
});
