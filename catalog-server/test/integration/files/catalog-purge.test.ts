// The catalog purge on real PostgreSQL (runs ingested through the real ingest, a real retention
// pass): once its tape is recycled, an expired run's versions that no tape holds leave the
// catalog, with their contents; a version whose content another live tape holds stays, and so does
// a content a live run shares; an expired incremental chain leaves whole, newest run first. It
// works in many small batches, changes nothing when run again, waits for no ingest batch, and
// ingest goes on over the holes it leaves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { CatalogPurgeRepository } from '../../../src/modules/files/catalog-purge.repository.js';
import { FilesRepository } from '../../../src/modules/files/files.repository.js';
import { CatalogPurgeService } from '../../../src/modules/tapes/catalog-purge.service.js';
import { PoolRetentionRepository } from '../../../src/modules/tapes/pool-retention.repository.js';
import { PoolRetentionService } from '../../../src/modules/tapes/pool-retention.service.js';
import { TapesRepository } from '../../../src/modules/tapes/tapes.repository.js';
import { createAgent, createFilesFixture, createTape, dirRecord, fileRecord, location, sha256, symlinkRecord, type FilesFixture } from './files-fixture.js';
import type { FileRecord } from '@ferrite/proto';

const DAY = 86_400_000;
const HOST = 'purge-host';
const OLD = 'PRG001L9';
const LIVE = 'PRG002L9';
const ANNA = { uid: 1001, gid: 100, owner: 'anna', group: 'staff' };
const BEN = { uid: 1002, gid: 100, owner: 'ben', group: 'staff' };

describe('catalog purge', () => {
  let f: FilesFixture;
  let agentId: string;
  let retention: PoolRetentionService;
  let purge: CatalogPurgeService;
  const runs: Record<string, string> = {};

  /** A backup of `root` at `at` on `barcode` (job SUCCEEDED, run finished), storing `records`. */
  async function backup(name: string, root: string, barcode: string, at: Date, records: FileRecord[], base?: string): Promise<void> {
    const job = await f.prisma.client.job.create({ data: { kind: 'BACKUP', status: 'RUNNING', agentId, spec: { barcode, paths: [root] } } });
    const [runId] = await f.runs.createBackupRuns({ jobId: job.id, host: HOST, roots: [root], level: base ? 'INCREMENTAL' : 'FULL' });
    await f.files.ingestBatch({ jobId: job.id, attempt: 1, batchSeq: 1, agentId, records, manifestPath: '' });
    await f.prisma.client.job.update({ where: { id: job.id }, data: { status: 'SUCCEEDED', startedAt: at, finishedAt: at } });
    await f.prisma.client.run.update({ where: { id: runId }, data: { startedAt: at, finishedAt: at, baseRunId: base ? runs[base] : null } });
    runs[name] = runId;
  }

  const paths = async (pathPrefix: string) => (await f.search.files({ host: HOST, pathPrefix }, 1000, undefined)).edges.map((e) => e.node.path).sort();
  const idOf = async (path: string) => (await f.search.files({ host: HOST, pathPrefix: path }, 1, undefined)).edges[0]?.node.id;
  const count = async (sql: string) => (await f.prisma.pool.query<{ n: number }>(`SELECT (${sql})::int AS n`)).rows[0].n;
  const contentOf = (path: string) => count(`SELECT count(*) FROM content WHERE sha256 = '\\x${sha256(`content of ${path}`).toString('hex')}'`);

  before(async () => {
    f = await createFilesFixture('catalog-purge');
    agentId = await createAgent(f, HOST);
    await createTape(f, OLD);
    await createTape(f, LIVE);
    await f.prisma.client.$executeRaw`INSERT INTO pool (id, name, retention_days, updated_at) VALUES (gen_random_uuid(), 'daily', 30, now())`;
    await f.prisma.client.$executeRaw`UPDATE tape SET state = 'ACTIVE', pool_id = (SELECT id FROM pool WHERE name = 'daily')`;
    const files = new FilesRepository(f.prisma);
    retention = new PoolRetentionService(new PoolRetentionRepository(f.prisma, new TapesRepository(f.prisma), files), pino({ level: 'silent' }));
    purge = new CatalogPurgeService(new CatalogPurgeRepository(f.prisma), retention, pino({ level: 'silent' }));

    const now = Date.now();
    const old = new Date(now - 60 * DAY);
    // A: expired FULL run on OLD. Three directories of data only OLD holds, one file with a second
    // copy on LIVE, one whose bytes the live run B wrote again on LIVE, an empty file, a symlink.
    const keep = fileRecord('/a/d3/keep', OLD, 30);
    keep.locations.push(location(LIVE, 30, { length: keep.size }));
    await backup('A', '/a', OLD, old, [
      dirRecord('/a'),
      dirRecord('/a/d1'),
      fileRecord('/a/d1/x1', OLD, 11, ANNA),
      fileRecord('/a/d1/empty', OLD, 12, { size: 0, sha256: sha256(''), locations: [], ...BEN }),
      fileRecord('/a/d1/x2', OLD, 13, ANNA),
      dirRecord('/a/d2'),
      fileRecord('/a/d2/y1', OLD, 21),
      dirRecord('/a/d3'),
      keep,
      fileRecord('/a/d4/shared', OLD, 40),
      symlinkRecord('/a/link', 'd3/keep'),
    ]);
    // B: live FULL run on LIVE, with the same bytes as /a/d4/shared written again.
    await backup('B', '/b', LIVE, new Date(now - DAY), [
      dirRecord('/b'),
      fileRecord('/b/shared', LIVE, 50, { sha256: sha256('content of /a/d4/shared'), size: Buffer.byteLength('/a/d4/shared') + 1 }),
      fileRecord('/b/own', LIVE, 51),
    ]);
    // C <- D: an expired FULL and the incremental on it, both on OLD only.
    await backup('C', '/c', OLD, new Date(now - 50 * DAY), [dirRecord('/c'), fileRecord('/c/z1', OLD, 60), fileRecord('/c/gone', OLD, 61)]);
    await backup(
      'D',
      '/c',
      OLD,
      new Date(now - 45 * DAY),
      [
        fileRecord('/c/z1', OLD, 70, { sha256: sha256('z1 changed') }),
        { ...fileRecord('/c/gone', OLD, 0), deleted: true, sha256: Buffer.alloc(0), size: 0, locations: [] },
      ],
      'C',
    );
  });
  after(async () => {
    await purge.onModuleDestroy();
    await f.close();
  });

  it('removes nothing while no tape was recycled', async () => {
    const result = await purge.purge({ batchSize: 1 });
    assert.deepEqual([result.versions, result.contents, result.runs], [0, 0, 0]);
    assert.equal((await paths('/a')).length, 11);
  });

  it('once its tape is recycled, removes what no tape holds, in many batches, keeping the ids of what stays', async () => {
    const keepId = await idOf('/a/d3/keep');
    const emptyId = await idOf('/a/d1/empty');
    const x1Id = await idOf('/a/d1/x1');
    const contentsBefore = await count('SELECT count(*) FROM content');
    assert.deepEqual(
      (await retention.apply()).map((t) => t.barcode),
      [OLD],
    );
    assert.equal(await count(`SELECT count(*) FROM placement p JOIN tape t ON t.id = p.tape_id WHERE t.barcode = '${OLD}'`), 0);

    const result = await purge.purge({ batchSize: 1 });
    // A loses x1, x2, y1; C (/c, z1, gone) and D (z1, gone marker) leave whole.
    assert.equal(result.versions, 3 + 3 + 2);
    assert.equal(result.runs, 2);
    // Contents: x1, x2, y1, C's z1 and gone, D's z1.
    assert.equal(result.contents, 6);
    assert.ok(result.batches >= 8, `several small batches (${result.batches})`);
    assert.equal(result.complete, true);

    assert.deepEqual(await paths('/a'), ['/a', '/a/d1', '/a/d1/empty', '/a/d2', '/a/d3', '/a/d3/keep', '/a/d4/shared', '/a/link'].sort());
    assert.deepEqual(await paths('/c'), []);
    assert.deepEqual(await paths('/b'), ['/b', '/b/own', '/b/shared'], 'the live run is untouched');
    assert.equal(await idOf('/a/d3/keep'), keepId, 'a version that stays keeps its id');
    assert.equal(await idOf('/a/d1/empty'), emptyId, 'its block was rewritten around it');
    assert.equal(await count(`SELECT count(*) FROM file_version WHERE id = ${x1Id}`), 0);
    assert.equal((await f.search.files({ sha256: sha256('content of /a/d1/x1').toString('hex') }, 10, undefined)).edges.length, 0);
    assert.equal(await contentOf('/a/d1/x1'), 0);
    assert.equal(await contentOf('/a/d4/shared'), 1, 'B still has it on LIVE');
    assert.equal(await contentOf('/a/d3/keep'), 1, 'its second copy is on LIVE');
    assert.equal(await count('SELECT count(*) FROM content'), contentsBefore - 6);
    assert.deepEqual((await f.prisma.client.run.findMany({ select: { id: true } })).map((r) => r.id).sort(), [runs.A, runs.B].sort());
    assert.equal(await count('SELECT count(*) FROM content_purge'), 0);
    // No hole is visible, and no block is left empty or pointing at a content that is gone.
    assert.equal(await count('SELECT count(*) FROM version_block b WHERE NOT EXISTS (SELECT 1 FROM unnest(b.name_ids) n WHERE n IS NOT NULL)'), 0);
    assert.equal(
      await count('SELECT count(*) FROM file_version fv WHERE fv.content_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM content c WHERE c.id = fv.content_id)'),
      0,
    );
    assert.equal(await count('SELECT count(*) FROM file_version WHERE name_id IS NULL'), 0);
    // Ownership leaves with the rest of a version: x1 and x2 are holes in every array, and the
    // version between them keeps its owner.
    const { rows: d1 } = await f.prisma.pool.query<{ uids: Array<number | null>; gids: Array<number | null> }>(
      `SELECT uids, gids FROM version_block WHERE directory_id = (SELECT id FROM directory WHERE path = '/a/d1')`,
    );
    assert.deepEqual(d1, [{ uids: [null, 1002, null], gids: [null, 100, null] }]);
    const [empty] = (await f.search.files({ host: HOST, pathPrefix: '/a/d1/empty' }, 1, undefined)).edges.map((e) => e.node);
    assert.deepEqual([empty.uid, empty.gid, empty.owner, empty.group], [1002, 100, 'ben', 'staff']);
  });

  it('changes nothing when run again', async () => {
    const before = await count('SELECT count(*) FROM file_version');
    const again = await purge.purge({ batchSize: 1 });
    assert.deepEqual([again.versions, again.contents, again.runs, again.blocksRewritten, again.blocksDeleted], [0, 0, 0, 0, 0]);
    assert.equal(await count('SELECT count(*) FROM file_version'), before);
  });

  it('waits for no ingest batch: contents stay queued while one is in flight, and go afterwards', async () => {
    // A's remaining data goes once LIVE is recycled too (B expires 40 days on).
    const ingest = new pg.Client({ connectionString: f.db.url });
    await ingest.connect();
    try {
      await ingest.query('BEGIN');
      await ingest.query(`SELECT pg_advisory_xact_lock_shared(${0x46525032}, 0)`);
      await f.prisma.client.$executeRaw`UPDATE tape SET recycled_at = now(), state = 'SCRATCH', reformat_pending = true WHERE barcode = ${LIVE}`;
      await f.prisma.client.$executeRaw`DELETE FROM placement WHERE tape_id = (SELECT id FROM tape WHERE barcode = ${LIVE})`;
      const held = await purge.purge({ batchSize: 1 });
      assert.ok(held.versions > 0);
      assert.equal(held.contents, 0);
      assert.equal(held.complete, false);
      assert.ok((await count('SELECT count(*) FROM content_purge')) > 0);
    } finally {
      await ingest.query('ROLLBACK');
      await ingest.end();
    }
    const rest = await purge.purge({ batchSize: 2 });
    assert.equal(rest.complete, true);
    assert.ok(rest.contents > 0);
    assert.deepEqual(await paths('/'), []);
    assert.equal(await count('SELECT count(*) FROM run'), 0);
    assert.equal(await count('SELECT count(*) FROM version_block'), 0);
    assert.equal(await count('SELECT count(*) FROM content'), 0);
    assert.equal(await count('SELECT count(*) FROM content_purge'), 0);
  });

  it('ingest goes on afterwards, into blocks with holes too', async () => {
    const job = await f.prisma.client.job.create({ data: { kind: 'BACKUP', status: 'RUNNING', agentId, spec: { barcode: OLD, paths: ['/e'] } } });
    await f.runs.createBackupRuns({ jobId: job.id, host: HOST, roots: ['/e'], level: 'FULL' });
    await f.prisma.client.$executeRaw`UPDATE tape SET state = 'ACTIVE', reformat_pending = false WHERE barcode = ${OLD}`;
    const records = [dirRecord('/e'), fileRecord('/e/1', OLD, 1, ANNA), fileRecord('/e/2', OLD, 2, ANNA), fileRecord('/e/3', OLD, 3, ANNA)];
    await f.files.ingestBatch({ jobId: job.id, attempt: 1, batchSeq: 1, agentId, records, manifestPath: '' });
    // Make a hole by hand (the purge's way), then report /e/3 again: replaced in place, /e/1 and /e/2 keep their ids.
    const ids = await Promise.all(['/e/1', '/e/2', '/e/3'].map(idOf));
    await f.prisma.pool.query(`UPDATE version_block SET name_ids[1] = NULL, content_ids[1] = NULL WHERE id = ${BigInt(ids[0]) >> 16n}`);
    await f.files.ingestBatch({
      jobId: job.id,
      attempt: 2,
      batchSeq: 1,
      agentId,
      records: [fileRecord('/e/3', OLD, 4, { sha256: sha256('new 3'), ...BEN })],
      manifestPath: '',
    });
    assert.deepEqual(await paths('/e'), ['/e', '/e/2', '/e/3']);
    assert.deepEqual([await idOf('/e/2'), await idOf('/e/3')], [ids[1], ids[2]]);
    const owners = (await f.search.files({ host: HOST, pathPrefix: '/e' }, 10, undefined)).edges.map((e) => [e.node.path, e.node.owner]);
    assert.deepEqual(owners, [
      ['/e', null],
      ['/e/2', 'anna'],
      ['/e/3', 'ben'],
    ]);
    assert.equal(
      await count(`SELECT count(*) FROM file_version WHERE content_id = (SELECT id FROM content WHERE sha256 = '\\x${sha256('new 3').toString('hex')}')`),
      1,
    );
  });
});
