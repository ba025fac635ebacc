// A file spanning tapes on a real PostgreSQL: each segment's own SHA-256 goes from the agent's report
// into the placement rows, the GraphQL model, the restore plan (one item per segment, in order), and
// the verify of a tape that holds one segment (checked against that segment's hash).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReportFilesRequest, type FileRecord, type RestoreItem } from '@ferrite/proto';
import {
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

const SEGMENT = 1000;
const SIZE = 3 * SEGMENT - 200;
const COPY1 = ['SEG001L9', 'SEG002L9', 'SEG003L9'];
const COPY2 = ['SEG011L9', 'SEG012L9', 'SEG013L9'];
const segmentHash = (i: number) => sha256(`segment ${i} of /span/big`);
const hex = (b: Buffer) => b.toString('hex');

/** /span/big in three segments (the last one shorter), copy 1 on COPY1 and copy 2 on COPY2. */
function spannedRecord(hashes: Buffer[] = [0, 1, 2].map(segmentHash)): FileRecord {
  const locations = [COPY1, COPY2].flatMap((tapes, c) =>
    tapes.map((barcode, i) =>
      location(barcode, 100 + c, {
        segment: i,
        fileOffset: i * SEGMENT,
        length: Math.min(SEGMENT, SIZE - i * SEGMENT),
        copy: c + 1,
        segmentSha256: hashes[i],
      }),
    ),
  );
  return fileRecord('/span/big', COPY1[0], 100, { size: SIZE, sha256: sha256('the whole of /span/big'), locations });
}

/** The records as the agent sends them: through the wire encoding of ReportFiles and back. */
function overTheWire(records: FileRecord[]): FileRecord[] {
  return ReportFilesRequest.decode(ReportFilesRequest.encode(ReportFilesRequest.fromPartial({ files: records })).finish()).files;
}

async function collect(pages: AsyncIterable<RestoreItem[]>): Promise<RestoreItem[]> {
  const out: RestoreItem[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}

describe('a file spanning tapes, with segment hashes', () => {
  let f: FilesFixture;
  let agentId: string;
  let jobId: string;
  let runId: string;

  before(async () => {
    f = await createFilesFixture('files-spanned');
    agentId = await createAgent(f, 'host-s');
    for (const b of [...COPY1, ...COPY2]) await createTape(f, b);
    ({
      jobId,
      runIds: [runId],
    } = await createBackupJob(f, agentId, 'host-s', ['/span']));
    const records = overTheWire([spannedRecord(), fileRecord('/span/small', COPY1[1], 7)]);
    const result = await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 1, agentId, records, manifestPath: '' });
    assert.equal(result.stored, 2);
  });
  after(() => f.close());

  it('stores each segment hash in its placement, and NULL for a file in one piece', async () => {
    const { rows } = await f.prisma.pool.query<{ barcode: string; segment: number; copy: number; sha: Buffer | null }>(
      `SELECT t.barcode, p.segment, p.copy, p.segment_sha256 AS sha FROM placement p JOIN tape t ON t.id = p.tape_id ORDER BY p.copy, p.segment, t.barcode`,
    );
    assert.deepEqual(
      rows.map((r) => [r.barcode, r.copy, r.segment, r.sha && hex(r.sha)]),
      [
        [COPY1[0], 1, 0, hex(segmentHash(0))],
        [COPY1[1], 1, 0, null],
        [COPY1[1], 1, 1, hex(segmentHash(1))],
        [COPY1[2], 1, 2, hex(segmentHash(2))],
        [COPY2[0], 2, 0, hex(segmentHash(0))],
        [COPY2[1], 2, 1, hex(segmentHash(1))],
        [COPY2[2], 2, 2, hex(segmentHash(2))],
      ],
    );
  });

  it('shows the segment hashes on the GraphQL placements (lowercase hex, null for a file in one piece)', async () => {
    const [big] = await f.search.fileVersions('host-s', '/span/big');
    assert.deepEqual(
      big.placements.map((p) => [p.copy, p.segment, p.barcode, p.fileOffset, p.length, p.segmentSha256]),
      [
        [1, 0, COPY1[0], 0, 1000, hex(segmentHash(0))],
        [1, 1, COPY1[1], 1000, 1000, hex(segmentHash(1))],
        [1, 2, COPY1[2], 2000, 800, hex(segmentHash(2))],
        [2, 0, COPY2[0], 0, 1000, hex(segmentHash(0))],
        [2, 1, COPY2[1], 1000, 1000, hex(segmentHash(1))],
        [2, 2, COPY2[2], 2000, 800, hex(segmentHash(2))],
      ],
    );
    const [small] = await f.search.fileVersions('host-s', '/span/small');
    assert.deepEqual(
      small.placements.map((p) => p.segmentSha256),
      [null],
    );
  });

  it('restores the file from one copy, one item per segment in order, each with its segment hash', async () => {
    const plan = await f.restorePlan({ host: 'host-s', pathPrefix: '/span/big' });
    const items = plan.tapes.flatMap((t) => t.items);
    assert.deepEqual(
      items.map((i) => [i.path, i.location!.barcode, i.location!.copy, i.location!.segment, i.location!.fileOffset, hex(i.location!.segmentSha256)]),
      [
        ['/span/big', COPY1[0], 1, 0, 0, hex(segmentHash(0))],
        ['/span/big', COPY1[1], 1, 1, 1000, hex(segmentHash(1))],
        ['/span/big', COPY1[2], 1, 2, 2000, hex(segmentHash(2))],
      ],
    );
    assert.ok(
      items.every((i) => i.sha256.equals(sha256('the whole of /span/big'))),
      'the item sha256 is the whole file',
    );
    assert.equal(plan.fileCount, 1);
    const small = (await f.restorePlan({ host: 'host-s', pathPrefix: '/span/small' })).tapes[0].items[0];
    assert.equal(small.location!.segmentSha256.length, 0);
  });

  it('verifies the middle tape by its segment: one item whose sha256 is that segment hash', async () => {
    const plan = await f.files.resolveVerify({ barcode: COPY2[1] });
    assert.deepEqual(
      { objects: plan.objectCount, bytes: plan.byteCount, partial: plan.partialSegments, streamed: plan.streamed },
      { objects: 1, bytes: 1000, partial: 0, streamed: true },
    );
    const items = await collect(f.files.verifyItems(COPY2[1]));
    assert.equal(items.length, 1);
    assert.deepEqual(
      [hex(items[0].sha256), hex(items[0].location!.segmentSha256), items[0].location!.segment, items[0].location!.fileOffset, items[0].location!.length],
      [hex(segmentHash(1)), hex(segmentHash(1)), 1, 1000, 1000],
    );
    // Copy 1's middle tape also holds a whole file: both are read, in tape order.
    const mixed = await collect(f.files.verifyItems(COPY1[1]));
    assert.deepEqual(
      mixed.map((i) => [i.location!.startBlock, i.location!.segmentSha256.length, hex(i.sha256)]),
      [
        [7, 0, hex(sha256('content of /span/small'))],
        [100, 32, hex(segmentHash(1))],
      ],
    );
  });

  it('verifies every segment of every copy for a run', async () => {
    const plan = await f.verifyPlan({ runId });
    assert.equal(plan.partialSegments, 0);
    assert.deepEqual(
      plan.tapes.map((t) => [t.barcode, t.items.map((i) => hex(i.sha256))]),
      [
        [COPY1[0], [hex(segmentHash(0))]],
        [COPY1[1], [hex(sha256('content of /span/small')), hex(segmentHash(1))]],
        [COPY1[2], [hex(segmentHash(2))]],
        [COPY2[0], [hex(segmentHash(0))]],
        [COPY2[1], [hex(segmentHash(1))]],
        [COPY2[2], [hex(segmentHash(2))]],
      ],
    );
  });

  it('still leaves out segments written without a hash of their own', async () => {
    const { jobId: oldJob, runIds } = await createBackupJob(f, agentId, 'host-s', ['/old']);
    await createTape(f, 'OLD001L9');
    await createTape(f, 'OLD002L9');
    const old = fileRecord('/old/big', 'OLD001L9', 0, {
      size: 1500,
      locations: [location('OLD001L9', 0, { length: 1000 }), location('OLD002L9', 0, { segment: 1, fileOffset: 1000, length: 500 })],
    });
    const records = overTheWire([old, fileRecord('/old/small', 'OLD002L9', 3)]);
    await f.files.ingestBatch({ jobId: oldJob, attempt: 1, batchSeq: 1, agentId, records, manifestPath: '' });
    const { rows } = await f.prisma.pool.query(`SELECT count(*)::int AS n FROM placement WHERE job_id = $1 AND segment_sha256 IS NULL`, [oldJob]);
    assert.equal(rows[0].n, 3);
    const tape = await f.files.resolveVerify({ barcode: 'OLD002L9' });
    assert.deepEqual([tape.objectCount, tape.partialSegments], [1, 1]);
    assert.deepEqual(
      (await collect(f.files.verifyItems('OLD002L9'))).map((i) => i.location!.startBlock),
      [3],
    );
    assert.equal(await code(f.files.resolveVerify({ barcode: 'OLD001L9' })), 'NOTHING_TO_VERIFY');
    const run = await f.files.resolveVerify({ runId: runIds[0] });
    assert.deepEqual([run.objectCount, run.partialSegments], [1, 2]);
  });

  it('refuses a segment hash that is not 32 bytes and stores nothing from the batch', async () => {
    const { jobId: badJob } = await createBackupJob(f, agentId, 'host-s', ['/bad']);
    const before = await tableCounts(f);
    const bad = spannedRecord([segmentHash(0), segmentHash(1).subarray(0, 31), segmentHash(2)]);
    bad.path = '/bad/big';
    let message = '';
    await f.files
      .ingestBatch({ jobId: badJob, attempt: 1, batchSeq: 1, agentId, records: overTheWire([fileRecord('/bad/ok', COPY1[0], 300), bad]), manifestPath: '' })
      .catch((err: Error & { code?: string }) => {
        assert.equal(err.code, 'INVALID_RECORD');
        message = err.message;
      });
    assert.match(
      message,
      /file record 1 \("\/bad\/big"\) was rejected: location 1: segmentSha256 must be 32 bytes, got 31; nothing from this batch was stored/,
    );
    assert.deepEqual(await tableCounts(f), before);
  });
});
