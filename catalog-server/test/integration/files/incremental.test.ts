// Incremental runs on a real PostgreSQL: the base an agent is sent, what a run's changes are counted
// as (add, modify, delete, rename, touch without change), runChanges, a re-delivered batch, and the
// errors of bad references and unknown runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { IncrementalLevel, type FileRecord, type IncrementalBaseResponse } from '@ferrite/proto';
import { IncrementalBaseRepository } from '../../../src/modules/files/incremental-base.repository.js';
import { IncrementalBaseService } from '../../../src/modules/runs/incremental-base.service.js';
import {
  createAgent,
  createFilesFixture,
  createTape,
  dirRecord,
  fileRecord,
  sha256,
  tableCounts,
  type FilesFixture,
  errorCodeOf as code,
} from './files-fixture.js';

const TAPE = 'INC001L9';

async function collect(stream: AsyncIterable<IncrementalBaseResponse>): Promise<IncrementalBaseResponse[]> {
  const out: IncrementalBaseResponse[] = [];
  for await (const m of stream) out.push(m);
  return out;
}

describe('incremental runs', () => {
  let f: FilesFixture;
  let agentId: string;
  let bases: IncrementalBaseService;

  before(async () => {
    f = await createFilesFixture('files-incremental');
    agentId = await createAgent(f, 'host-i');
    await createTape(f, TAPE);
    bases = new IncrementalBaseService(f.runs, new IncrementalBaseRepository(f.prisma));
  });
  after(() => f.close());

  const newJob = async (level: 'FULL' | 'INCREMENTAL', roots: string[]) => {
    const job = await f.prisma.client.job.create({ data: { kind: 'BACKUP', status: 'RUNNING', agentId, spec: { paths: roots, level } } });
    const runIds = await f.runs.createBackupRuns({ jobId: job.id, host: 'host-i', roots, level });
    return { jobId: job.id, runId: runIds[0] };
  };
  const ingest = (jobId: string, records: FileRecord[], batchSeq = 1) =>
    f.files.ingestBatch({ jobId, attempt: 1, batchSeq, agentId, records, manifestPath: '' });
  const touched = (r: FileRecord, mtimeMs: number): FileRecord => ({ ...r, mtimeMs, locations: [] });

  const a1 = fileRecord('/inc/a', TAPE, 1);
  const b1 = fileRecord('/inc/b', TAPE, 2);
  const c1 = fileRecord('/inc/c', TAPE, 3);
  const d1 = fileRecord('/inc/d', TAPE, 4);
  let full: { jobId: string; runId: string };
  let incr: { jobId: string; runId: string };

  it('an INCREMENTAL without an earlier run becomes FULL and says so', async () => {
    full = await newJob('INCREMENTAL', ['/inc']);
    const messages = await collect(bases.stream(full.jobId, '/inc'));
    assert.equal(messages.length, 1);
    assert.equal(messages[0].baseRunId, '');
    assert.equal(messages[0].level, IncrementalLevel.INCREMENTAL_LEVEL_FULL);
    assert.match(messages[0].note, /runs as a FULL/);
    assert.equal((await f.runs.run(full.runId))!.level, 'FULL');
    await ingest(full.jobId, [dirRecord('/inc'), a1, b1, c1, d1]);
    await f.runs.finishBackupRuns(full.jobId);
    const run = (await f.runs.run(full.runId))!;
    assert.deepEqual([run.added, run.modified, run.deleted, run.unchanged], [5, 0, 0, 0]);
  });

  it('streams the base run in (directory, name) order and counts add, modify, delete, rename and touch', async () => {
    incr = await newJob('INCREMENTAL', ['/inc']);
    const messages = await collect(bases.stream(incr.jobId, '/inc'));
    assert.equal(messages[0].baseRunId, full.runId);
    assert.equal(messages[0].level, IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL);
    const entries = messages.flatMap((m) => m.entries);
    assert.deepEqual(
      entries.map((e) => e.path),
      ['/inc', '/inc/a', '/inc/b', '/inc/c', '/inc/d'],
    );
    const a = entries.find((e) => e.path === '/inc/a')!;
    assert.deepEqual([a.size, a.mtimeMs, a.ctimeMs, a.inode], [a1.size, a1.mtimeMs, a1.ctimeMs, a1.inode]);
    assert.ok(Buffer.from(a.sha256).equals(a1.sha256));
    assert.equal(a.contentSufficient, false, 'no dedup without a dedup pool');

    // What an agent reports after: /inc/a modified, /inc/b deleted, /inc/c renamed to /inc/c2,
    // /inc/d touched (same content, new mtime, not written again), /inc/e added.
    const gone = (r: FileRecord): FileRecord => ({ ...r, size: 0, sha256: Buffer.alloc(0), locations: [], deleted: true });
    const batch = [
      fileRecord('/inc/a', TAPE, 10, { sha256: sha256('new a') }),
      gone(b1),
      gone(c1),
      fileRecord('/inc/c2', TAPE, 11, { sha256: c1.sha256, size: c1.size }),
      touched(d1, d1.mtimeMs + 5000),
      fileRecord('/inc/e', TAPE, 12),
    ];
    assert.equal((await ingest(incr.jobId, batch)).accepted, true);
    const before = await tableCounts(f);
    assert.deepEqual(await ingest(incr.jobId, batch), { accepted: false, stored: 0 }, 'a re-delivered batch is a no-op');
    assert.deepEqual(await tableCounts(f), before);
    await f.runs.finishBackupRuns(incr.jobId);
    await f.runs.finishBackupRuns(incr.jobId); // a re-sent COMPLETED recounts to the same numbers
    const run = (await f.runs.run(incr.runId))!;
    assert.equal(run.baseRunId, full.runId);
    assert.deepEqual(
      { added: run.added, modified: run.modified, deleted: run.deleted, unchanged: run.unchanged },
      { added: 2, modified: 1, deleted: 2, unchanged: 2 },
    );

    const changes = await f.runs.runChanges(incr.runId, null, 100, null);
    const listed = changes.edges.map((e) => `${e.node.kind} ${e.node.path}`).sort();
    assert.deepEqual(listed, ['ADDED /inc/c2', 'ADDED /inc/e', 'DELETED /inc/b', 'DELETED /inc/c', 'MODIFIED /inc/a']);
    const withTouch = await f.runs.runChanges(incr.runId, ['UNCHANGED'], 100, null);
    assert.deepEqual(
      withTouch.edges.map((e) => e.node.path),
      ['/inc/d'],
    );
  });

  it('pages runChanges with cursors bound to the query', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await f.runs.runChanges(incr.runId, null, 2, after);
      seen.push(...page.edges.map((e) => e.node.path));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
    assert.equal(await code(f.runs.runChanges(incr.runId, ['ADDED'], 2, after)), 'INVALID_CURSOR');
  });

  it('the next incremental compares with the chain: deleted entries gone, touched ones with their new time', async () => {
    const next = await newJob('INCREMENTAL', ['/inc']);
    const entries = (await collect(bases.stream(next.jobId, '/inc'))).flatMap((m) => m.entries);
    assert.deepEqual(
      entries.map((e) => e.path),
      ['/inc', '/inc/a', '/inc/c2', '/inc/d', '/inc/e'],
    );
    assert.equal(entries.find((e) => e.path === '/inc/d')!.mtimeMs, d1.mtimeMs + 5000);
    assert.ok(Buffer.from(entries.find((e) => e.path === '/inc/a')!.sha256).equals(sha256('new a')));
  });

  it('marks contents already held by enough tapes of a dedup pool', async () => {
    const pool = await f.prisma.client.pool.create({ data: { name: 'dedup-pool', copies: 1, dedup: true } });
    await f.prisma.client.tape.update({ where: { barcode: TAPE }, data: { poolId: pool.id } });
    const job = await f.prisma.client.job.create({
      data: { kind: 'BACKUP', status: 'RUNNING', agentId, spec: { paths: ['/inc'], level: 'FULL', pool: 'dedup-pool' } },
    });
    await f.runs.createBackupRuns({ jobId: job.id, host: 'host-i', roots: ['/inc'], level: 'FULL' });
    const entries = (await collect(bases.stream(job.id, '/inc'))).flatMap((m) => m.entries);
    assert.deepEqual(
      entries.filter((e) => e.contentSufficient).map((e) => e.path),
      ['/inc/a', '/inc/c2', '/inc/d', '/inc/e'],
    );
    await f.prisma.client.pool.update({ where: { id: pool.id }, data: { copies: 2 } });
    const job2 = await f.prisma.client.job.create({
      data: { kind: 'BACKUP', status: 'RUNNING', agentId, spec: { paths: ['/inc'], level: 'FULL', pool: 'dedup-pool' } },
    });
    await f.runs.createBackupRuns({ jobId: job2.id, host: 'host-i', roots: ['/inc'], level: 'FULL' });
    const again = (await collect(bases.stream(job2.id, '/inc'))).flatMap((m) => m.entries);
    assert.equal(again.filter((e) => e.contentSufficient).length, 0, 'one tape is not enough copies for a pool of 2');
  });

  it('refuses a file without location whose content is on no tape, and unknown runs', async () => {
    const job = await newJob('INCREMENTAL', ['/inc']);
    const before = await tableCounts(f);
    const orphan = fileRecord('/inc/orphan', TAPE, 20, { locations: [] });
    assert.equal(await code(ingest(job.jobId, [fileRecord('/inc/ok', TAPE, 21), orphan])), 'INVALID_RECORD');
    assert.deepEqual(await tableCounts(f), before);
    // A content the catalog knows but no tape holds any more is no better than an unknown one.
    const placeless = fileRecord('/inc/placeless', TAPE, 22, { locations: [] });
    await f.prisma.client.content.create({ data: { sha256: Buffer.from(placeless.sha256), size: BigInt(placeless.size) } });
    assert.equal(await code(ingest(job.jobId, [fileRecord('/inc/ok', TAPE, 21), placeless])), 'INVALID_RECORD');
    assert.equal(await code(collect(bases.stream(job.jobId, '/elsewhere'))), 'RUN_NOT_FOUND');
    assert.equal(await code(f.runs.runChanges(randomUUID(), null, 10, null)), 'RUN_NOT_FOUND');
    assert.equal(await code(f.runs.runChanges('nope', null, 10, null)), 'RUN_NOT_FOUND');
  });
});
