import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FileRecord } from '@ferrite/proto';
import { FerriteError } from '../../../src/common/errors.js';
import { RUN_LOCK_SPACE } from '../../../src/modules/files/files.repository.js';
import {
  createAgent,
  createBackupJob,
  createFilesFixture,
  createTape,
  dirRecord,
  fileRecord,
  location,
  symlinkRecord,
  tableCounts,
  type FilesFixture,
} from './files-fixture.js';

const WEIRD_NAMES = [
  'with space.txt',
  'ünïcødé 日本語 😀.txt',
  `quote's "double".txt`,
  'new\nline.txt',
  '100%.txt',
  'under_score.txt',
  'back\\slash.txt',
  '[bracket].txt',
  'tab\there.txt',
  'carriage\rreturn.txt',
  '\\N',
  '-leading-dash',
  ' leading space',
];

async function rejected(promise: Promise<unknown>): Promise<FerriteError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FerriteError, `expected a FerriteError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('FilesService.ingestBatch', () => {
  let f: FilesFixture;
  let agentId: string;
  let otherAgentId: string;
  let jobId: string;
  const records: FileRecord[] = [];

  before(async () => {
    f = await createFilesFixture('files-ingest');
    agentId = await createAgent(f, 'agent-a');
    otherAgentId = await createAgent(f, 'agent-b');
    await createTape(f, 'FER001L9');
    ({ jobId } = await createBackupJob(f, agentId, 'agent-a', ['/data']));
    records.push(
      dirRecord('/data'),
      dirRecord('/data/nested'),
      dirRecord('/data/nested/deeper'),
      dirRecord('/data/nested/deeper/empty dir'),
      fileRecord('/data/nested/deeper/file.bin', 'FER001L9', 100),
      fileRecord('/data/empty.txt', 'FER001L9', 0, { size: 0, sha256: Buffer.alloc(0), locations: [] }),
      symlinkRecord('/data/link', 'nested/deeper/file.bin'),
      // Times to the nanosecond (and one without: an agent before nanosecond times).
      ...WEIRD_NAMES.map((n, i) => fileRecord(`/data/weird/${n}`, 'FER001L9', 200 + i, i === 0 ? {} : { mtimeNanos: i === 1 ? 999_999 : i * 1_111 })),
      fileRecord('/data/dir with spaces/ünï/%_\\[x]/leaf', 'FER001L9', 300),
    );
  });
  after(() => f.close());

  it('stores every record of a batch, with its directories, contents and placements', async () => {
    const result = await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 1, agentId, records, manifestPath: '/ferrite/manifests/x-1.jsonl' });
    assert.deepEqual(result, { accepted: true, stored: records.length });

    const { rows } = await f.prisma.pool.query<{
      path: string;
      name: string;
      type: string;
      size: string;
      mtime: Date;
      mtime_nanos: number | null;
      mode: number;
      link: string | null;
    }>(
      `SELECT CASE WHEN n.name = '' THEN d.path WHEN d.path = '/' THEN '/' || n.name ELSE d.path || '/' || n.name END AS path,
              n.name, fv.type::text AS type, fv.size::text AS size, fv.mtime, fv.mtime_nanos, fv.mode, fv.symlink_target AS link
         FROM file_version fv JOIN directory d ON d.id = fv.directory_id JOIN file_name n ON n.id = fv.name_id`,
    );
    const byPath = new Map(rows.map((r) => [r.path, r]));
    assert.equal(rows.length, records.length);
    for (const r of records) {
      const row = byPath.get(r.path);
      assert.ok(row, `missing ${JSON.stringify(r.path)}`);
      assert.equal(row.mtime.getTime(), r.mtimeMs, r.path);
      assert.equal(row.mtime_nanos, r.mtimeNanos ?? null, r.path);
      assert.equal(Number(row.size), r.size);
      assert.equal(row.mode, r.mode);
    }
    assert.equal(byPath.get('/data/link')!.type, 'SYMLINK');
    assert.equal(byPath.get('/data/link')!.link, 'nested/deeper/file.bin');
    assert.equal(byPath.get('/data/nested/deeper/empty dir')!.type, 'DIRECTORY');

    // Every directory on every path exists once, linked to its parent; the root has no parent.
    const dirs = await f.prisma.pool.query<{ path: string; name: string; parent: string | null }>(
      `SELECT d.path, d.name, p.path AS parent FROM directory d LEFT JOIN directory p ON p.id = d.parent_id`,
    );
    const dirMap = new Map(dirs.rows.map((d) => [d.path, d]));
    assert.deepEqual(dirMap.get('/'), { path: '/', name: '', parent: null });
    for (const p of ['/data', '/data/nested/deeper/empty dir', '/data/weird', '/data/dir with spaces/ünï/%_\\[x]']) {
      const d = dirMap.get(p);
      assert.ok(d, `directory ${p}`);
      assert.equal(d.parent, p.slice(0, p.lastIndexOf('/')) || '/');
      assert.equal(d.name, p.slice(p.lastIndexOf('/') + 1));
    }
    assert.equal(dirs.rows.length, 9);

    const counts = await tableCounts(f);
    // Every regular file is a content (the empty one too); every non-empty file has one placement.
    assert.equal(counts.content, WEIRD_NAMES.length + 3);
    assert.equal(counts.placement, WEIRD_NAMES.length + 2);
    assert.equal(counts.ingest_batch, 1);
    const empty = await f.prisma.pool.query(
      `SELECT size FROM content WHERE encode(sha256, 'hex') = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'`,
    );
    assert.equal(empty.rows.length, 1);
  });

  it('adds no row when the same batch is sent again', async () => {
    const before = await tableCounts(f);
    const again = await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 1, agentId, records, manifestPath: '/ferrite/manifests/x-1.jsonl' });
    assert.deepEqual(again, { accepted: false, stored: 0 });
    assert.deepEqual(await tableCounts(f), before);
  });

  it('refuses a batch for a job of another agent and stores nothing', async () => {
    const before = await tableCounts(f);
    const batch = { jobId, attempt: 1, batchSeq: 2, agentId: otherAgentId, records: [fileRecord('/data/intruder', 'FER001L9', 900)], manifestPath: '' };
    const err = await rejected(f.files.ingestBatch(batch));
    assert.equal(err.code, 'JOB_NOT_OWNED');
    assert.deepEqual(await tableCounts(f), before);
    // The key was not consumed: the owner can still send batch 2.
    assert.equal((await f.files.ingestBatch({ ...batch, agentId })).accepted, true);
  });

  it('refuses unknown tapes, unknown jobs, non-backup jobs and bad records without storing anything', async () => {
    const before = await tableCounts(f);
    const unknownTape = await rejected(
      f.files.ingestBatch({
        jobId,
        attempt: 1,
        batchSeq: 3,
        agentId,
        records: [fileRecord('/data/a', 'FER001L9', 1), fileRecord('/data/b', 'NOPE00L9', 2)],
        manifestPath: '',
      }),
    );
    assert.equal(unknownTape.code, 'TAPE_NOT_FOUND');
    assert.match(unknownTape.message, /NOPE00L9/);
    assert.equal(
      (await rejected(f.files.ingestBatch({ jobId: randomUUID(), attempt: 1, batchSeq: 1, agentId, records: [], manifestPath: '' }))).code,
      'JOB_NOT_FOUND',
    );
    assert.equal(
      (await rejected(f.files.ingestBatch({ jobId: 'not-a-uuid', attempt: 1, batchSeq: 1, agentId, records: [], manifestPath: '' }))).code,
      'JOB_NOT_FOUND',
    );
    const format = await f.prisma.client.job.create({ data: { kind: 'FORMAT', agentId, spec: {} } });
    assert.equal(
      (await rejected(f.files.ingestBatch({ jobId: format.id, attempt: 1, batchSeq: 1, agentId, records: [], manifestPath: '' }))).code,
      'JOB_NOT_BACKUP',
    );
    const outside = await rejected(
      f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 3, agentId, records: [fileRecord('/etc/passwd', 'FER001L9', 1)], manifestPath: '' }),
    );
    assert.equal(outside.code, 'INVALID_RECORD');
    assert.deepEqual(await tableCounts(f), before);
  });

  it('shares one content between files with the same bytes, across batches', async () => {
    const same = fileRecord('/data/dup/one', 'FER001L9', 500);
    const twin = {
      ...fileRecord('/data/dup/two', 'FER001L9', 501),
      sha256: same.sha256,
      size: same.size,
      locations: [location('FER001L9', 501, { length: same.size })],
    };
    await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 10, agentId, records: [same], manifestPath: '' });
    await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 11, agentId, records: [twin], manifestPath: '' });
    const { rows } = await f.prisma.pool.query<{ n: number; contents: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT content_id)::int AS contents FROM file_version fv JOIN file_name n ON n.id = fv.name_id WHERE n.name IN ('one', 'two')`,
    );
    assert.deepEqual(rows[0], { n: 2, contents: 1 });
    const placements = await f.prisma.pool.query(`SELECT 1 FROM placement p JOIN content c ON c.id = p.content_id WHERE c.sha256 = $1`, [same.sha256]);
    assert.equal(placements.rows.length, 2);
  });

  it('lets a retried attempt re-report files without duplicating versions', async () => {
    const rec = fileRecord('/data/retry/file', 'FER001L9', 600);
    const neighbour = fileRecord('/data/retry/neighbour', 'FER001L9', 602);
    await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 20, agentId, records: [rec, neighbour], manifestPath: '' });
    const versionsIn = async () =>
      (
        await f.prisma.pool.query<{ id: string; name: string; mtime: Date; mtime_nanos: number | null; block_id: string }>(
          `SELECT fv.id::text AS id, n.name, fv.mtime, fv.mtime_nanos, fv.block_id::text AS block_id FROM file_version fv JOIN file_name n ON n.id = fv.name_id
            WHERE fv.directory_id = (SELECT id FROM directory WHERE path = '/data/retry') ORDER BY fv.id`,
        )
      ).rows;
    const before = await versionsIn();
    // The later attempt saw the file with a new mtime: its report replaces the earlier version in
    // its block (same id); the neighbour in that block is untouched, a new file gets a new block.
    const rewritten = {
      ...rec,
      mtimeMs: rec.mtimeMs + 5000,
      mtimeNanos: 123_456,
      locations: [location('FER001L9', 700, { length: rec.size })],
      xattrs: [{ name: 'user.retried', value: Buffer.from([1, 2]) }],
    };
    const second = await f.files.ingestBatch({
      jobId,
      attempt: 2,
      batchSeq: 1,
      agentId,
      records: [rewritten, fileRecord('/data/retry/new', 'FER001L9', 601)],
      manifestPath: '',
    });
    assert.deepEqual(second, { accepted: true, stored: 2 });
    const after = await versionsIn();
    assert.deepEqual(
      after.map((v) => [v.name, v.mtime.getTime()]),
      [
        ['file', rewritten.mtimeMs],
        ['neighbour', neighbour.mtimeMs],
        ['new', after[2].mtime.getTime()],
      ],
    );
    assert.deepEqual(
      after.slice(0, 2).map((v) => v.id),
      before.map((v) => v.id),
    );
    assert.deepEqual(
      after.map((v) => v.mtime_nanos),
      [123_456, null, null],
      'the replaced version has its nanoseconds, the others none',
    );
    const { rows: attrs } = await f.prisma.pool.query<{ attrs: string | null }>(
      `SELECT fv.attrs FROM file_version fv WHERE fv.directory_id = (SELECT id FROM directory WHERE path = '/data/retry') ORDER BY fv.id`,
    );
    assert.deepEqual(
      attrs.map((r) => r.attrs),
      ['{"xattrs":[["user.retried","AQI="]]}', null, null],
      'the replaced version has its attributes, the others none',
    );
    assert.notEqual(after[2].block_id, after[0].block_id);
  });

  it('keeps extended attributes and ACLs: FileVersion shows them, a restore plan carries them', async () => {
    const acl = Buffer.from('AgAAAAEABgD/////AgAGAOgDAAAEAAQA/////xAABgD/////IAAEAP////8=', 'base64');
    const xattrs = [
      { name: 'user.origin', value: Buffer.from('scanner 7') },
      { name: 'trusted.bin', value: Buffer.from([0, 255]) },
      { name: 'system.posix_acl_access', value: acl },
    ];
    const rec = fileRecord('/data/attrs/file', 'FER001L9', 800, { xattrs, linkCount: 2 });
    const second = { ...rec, path: '/data/attrs/second name', xattrs: [], hardLinkTo: rec.path };
    await f.files.ingestBatch({
      jobId,
      attempt: 1,
      batchSeq: 40,
      agentId,
      records: [rec, fileRecord('/data/attrs/plain', 'FER001L9', 801), second],
      manifestPath: '',
    });
    const [version] = await f.search.fileVersions('agent-a', '/data/attrs/file');
    assert.deepEqual(
      version.xattrs.map((x) => [x.name, x.value, x.text]),
      [
        ['user.origin', Buffer.from('scanner 7').toString('base64'), 'scanner 7'],
        ['trusted.bin', 'AP8=', null],
        ['system.posix_acl_access', acl.toString('base64'), null],
      ],
    );
    assert.deepEqual(version.acl, { access: ['user::rw-', 'user:1000:rw-', 'group::r--', 'mask::rw-', 'other::r--'], default: null });
    const [plain] = await f.search.fileVersions('agent-a', '/data/attrs/plain');
    assert.deepEqual([plain.xattrs, plain.acl], [[], null]);
    const [link] = await f.search.fileVersions('agent-a', second.path);
    assert.deepEqual(
      [version.linkCount, version.hardLinkTo, link.linkCount, link.hardLinkTo, plain.linkCount, plain.hardLinkTo],
      [2, null, 2, rec.path, 1, null],
    );
    assert.equal(link.sha256, version.sha256, 'one content');
    const plan = await f.restorePlan({ fileIds: [version.id, plain.id, link.id] });
    const items = plan.tapes.flatMap((t) => t.items);
    assert.deepEqual(items.find((i) => i.path === rec.path)?.xattrs, xattrs);
    assert.deepEqual(items.find((i) => i.path === '/data/attrs/plain')?.xattrs, []);
    assert.deepEqual(
      items
        .filter((i) => i.path !== '/data/attrs/plain')
        .map((i) => [i.path, i.linkCount, i.hardLinkTo])
        .sort(),
      [
        [rec.path, 2, ''],
        [second.path, 2, rec.path],
      ],
    );
  });

  it('keeps a sparse file: its data map on the version and on its placement, which a restore plan carries', async () => {
    const dataMap = [
      { offset: 0, length: 4096 },
      { offset: 1 << 20, length: 4096 },
    ];
    const rec = fileRecord('/data/sparse/disk.img', 'FER001L9', 900, {
      size: 1 << 30,
      dataMap,
      locations: [location('FER001L9', 900, { length: 8192, dataMap, segmentSha256: Buffer.alloc(32, 7) })],
    });
    await f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 41, agentId, records: [rec], manifestPath: '' });
    const [version] = await f.search.fileVersions('agent-a', rec.path);
    assert.deepEqual([version.sparse, version.dataBytes, version.size], [true, 8192, 1 << 30]);
    const plan = await f.restorePlan({ fileIds: [version.id] });
    const [item] = plan.tapes.flatMap((t) => t.items);
    assert.deepEqual(item.location?.dataMap, dataMap);
    assert.equal(item.location?.length, 8192);
    // Bad maps are refused, naming the problem, and store nothing.
    const bad = fileRecord('/data/sparse/bad.img', 'FER001L9', 901, {
      size: 100,
      dataMap: [{ offset: 90, length: 20 }],
    });
    assert.match(
      (await rejected(f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 42, agentId, records: [bad], manifestPath: '' }))).message,
      /data_map: data extent 0 ends at 110, past the file's 100 bytes/,
    );
  });

  it("names a host's owners and groups once per host, and takes a later backup's new name for a number, not an older one's", async () => {
    const backupOf = async (agent: string, host: string, records: FileRecord[], startedAt?: Date) => {
      const job = await createBackupJob(f, agent, host, ['/data']);
      if (startedAt) await f.prisma.client.run.updateMany({ where: { jobId: job.jobId }, data: { startedAt } });
      await f.files.ingestBatch({ jobId: job.jobId, attempt: 1, batchSeq: 1, agentId: agent, records, manifestPath: '' });
    };
    const owned = (path: string, startBlock: number, owner: string, group: string) =>
      fileRecord(path, 'FER001L9', startBlock, { uid: 2000, gid: 3000, owner, group });
    await backupOf(agentId, 'agent-a', [owned('/data/own/a', 950, 'carla', 'lab'), owned('/data/own/a2', 951, 'carla', 'lab')]);
    await backupOf(agentId, 'agent-a', [owned('/data/own/b', 952, 'carla2', 'lab')]);
    // Another host's 2000 is someone else; a record whose number has no name leaves the name be.
    await backupOf(otherAgentId, 'agent-b', [owned('/data/own/c', 953, 'dora', 'ops')]);
    await backupOf(agentId, 'agent-a', [owned('/data/own/d', 954, '', '')]);
    // A backup older than the one that renamed 2000 (a rebuild from an old tape) renames nothing.
    await backupOf(agentId, 'agent-a', [owned('/data/own/e', 955, 'carla', 'oldlab')], new Date('2020-01-01Z'));
    const ownerOf = async (host: string, path: string) => {
      const [v] = await f.search.fileVersions(host, path);
      return [v.uid, v.gid, v.owner, v.group];
    };
    assert.deepEqual(await ownerOf('agent-a', '/data/own/a'), [2000, 3000, 'carla2', 'lab']);
    assert.deepEqual(await ownerOf('agent-a', '/data/own/d'), [2000, 3000, 'carla2', 'lab']);
    assert.deepEqual(await ownerOf('agent-a', '/data/own/e'), [2000, 3000, 'carla2', 'lab']);
    assert.deepEqual(await ownerOf('agent-b', '/data/own/c'), [2000, 3000, 'dora', 'ops']);
    const { rows } = await f.prisma.pool.query<{ host: string; kind: string; number: number; name: string }>(
      `SELECT h.name AS host, o.kind::text AS kind, o.number, o.name FROM owner_name o JOIN host h ON h.id = o.host_id WHERE o.number IN (2000, 3000) ORDER BY 1, 2, 3`,
    );
    assert.deepEqual(
      rows.map((r) => `${r.host} ${r.kind} ${r.number} ${r.name}`),
      ['agent-a GROUP 3000 lab', 'agent-a USER 2000 carla2', 'agent-b GROUP 3000 ops', 'agent-b USER 2000 dora'],
    );
  });

  it('keeps one version per entry when batches of one run race to add it', async () => {
    // A batch of the run is in progress on another connection (it holds the run's lock) and adds
    // /data/race/same; a second batch with the same entry arrives meanwhile. It must wait for the
    // first and then replace that version, not add a second one.
    await f.files.ingestBatch({
      jobId,
      attempt: 1,
      batchSeq: 29,
      agentId,
      records: [fileRecord('/data/race/other', 'FER001L9', 799), fileRecord('/data/same', 'FER001L9', 798)],
      manifestPath: '',
    });
    const first = await f.prisma.pool.connect();
    let ingest: Promise<unknown> | undefined;
    try {
      await first.query('BEGIN');
      const { rows } = await first.query<{ num: number }>('SELECT num FROM run WHERE job_id = $1::uuid ORDER BY started_at LIMIT 1', [jobId]);
      await first.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [RUN_LOCK_SPACE, rows[0].num]);
      await first.query(
        `INSERT INTO version_block (directory_id, run_num, name_ids, content_ids, sizes, mtimes, ctimes, inodes, modes, types, deleted, symlink_targets, mtime_days, content_buckets)
         SELECT d.id, $1, ARRAY[n.id], '{NULL}', '{0}', ARRAY[now()], '{NULL}', '{NULL}', '{448}', '{DIRECTORY}', '{f}', '{NULL}', ARRAY[current_date], '{}'
           FROM directory d, file_name n WHERE d.path = '/data/race' AND n.name = 'same'`,
        [rows[0].num],
      );
      ingest = f.files.ingestBatch({ jobId, attempt: 1, batchSeq: 30, agentId, records: [fileRecord('/data/race/same', 'FER001L9', 830)], manifestPath: '' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await first.query('COMMIT');
    } finally {
      first.release();
    }
    assert.deepEqual(await ingest, { accepted: true, stored: 1 });
    const { rows } = await f.prisma.pool.query<{ type: string }>(
      `SELECT fv.type::text AS type FROM file_version fv WHERE fv.directory_id = (SELECT id FROM directory WHERE path = '/data/race')
          AND fv.name_id = (SELECT id FROM file_name WHERE name = 'same')`,
    );
    assert.deepEqual(
      rows.map((r) => r.type),
      ['FILE'],
    );
  });

  it('leaves no dangling reference in the bulk tables (they carry no foreign keys)', async () => {
    const { rows } = await f.prisma.pool.query<{ problem: string; n: number }>(`
      SELECT 'version without directory' AS problem, count(*)::int AS n FROM file_version fv WHERE NOT EXISTS (SELECT 1 FROM directory d WHERE d.id = fv.directory_id)
      UNION ALL SELECT 'version without name', count(*)::int FROM file_version fv WHERE NOT EXISTS (SELECT 1 FROM file_name n WHERE n.id = fv.name_id)
      UNION ALL SELECT 'version without run', count(*)::int FROM file_version fv WHERE NOT EXISTS (SELECT 1 FROM run r WHERE r.num = fv.run_num)
      UNION ALL SELECT 'file without content', count(*)::int FROM file_version fv WHERE fv.type = 'FILE' AND NOT EXISTS (SELECT 1 FROM content c WHERE c.id = fv.content_id)
      UNION ALL SELECT 'non-file with content', count(*)::int FROM file_version fv WHERE fv.type <> 'FILE' AND fv.content_id IS NOT NULL
      UNION ALL SELECT 'placement without content', count(*)::int FROM placement p WHERE NOT EXISTS (SELECT 1 FROM content c WHERE c.id = p.content_id)
      UNION ALL SELECT 'placement without tape', count(*)::int FROM placement p WHERE NOT EXISTS (SELECT 1 FROM tape t WHERE t.id = p.tape_id)
      UNION ALL SELECT 'directory without parent', count(*)::int FROM directory d WHERE d.path <> '/' AND d.parent_id IS NULL`);
    assert.deepEqual(
      rows.filter((r) => r.n > 0),
      [],
    );
  });

  it('fills the run counts when the job finishes', async () => {
    await f.runs.finishBackupRuns(jobId);
    const run = await f.prisma.client.run.findFirstOrThrow({ where: { jobId } });
    const [{ versions }] = await f.prisma.client.$queryRaw<
      { versions: number }[]
    >`SELECT count(*)::int AS versions FROM file_version WHERE run_num = ${run.num}`;
    assert.equal(run.added, versions);
    assert.ok(run.finishedAt);
  });
});
