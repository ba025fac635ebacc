// Pool retention on real PostgreSQL: a written tape returns to scratch only once every run with
// files on it has expired (by days, by newest-N per source), never while a retained run still needs
// a content only this tape holds (dedup), and never while a job still names the tape.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { PoolRetentionRepository } from '../../../src/modules/tapes/pool-retention.repository.js';
import { PoolRetentionService } from '../../../src/modules/tapes/pool-retention.service.js';
import { TapesRepository } from '../../../src/modules/tapes/tapes.repository.js';
import { FilesRepository } from '../../../src/modules/files/files.repository.js';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../catalog-fixture.js';

let f: CatalogFixture;
let retention: PoolRetentionService;
let agent: string;
const DAY = 86_400_000;
const now = new Date('2026-12-02T12:00:00Z');

before(async () => {
  f = await createCatalogFixture('retention');
  retention = new PoolRetentionService(
    new PoolRetentionRepository(f.prisma, new TapesRepository(f.prisma), new FilesRepository(f.prisma)),
    pino({ level: 'silent' }),
  );
  agent = await f.register(libraryRequest('ret-host', ['RET001L9', 'RET002L9', 'RET003L9', 'RET004L9', 'RET005L9', 'RET006L9']));
  await f.prisma.client.$executeRaw`INSERT INTO host (name) VALUES ('ret-host') ON CONFLICT DO NOTHING`;
  await f.prisma.client.$executeRaw`INSERT INTO pool (id, name, retention_days, updated_at) VALUES (gen_random_uuid(), 'days30', 30, now())`;
  await f.prisma.client.$executeRaw`INSERT INTO pool (id, name, retention_runs, updated_at) VALUES (gen_random_uuid(), 'keep2', 2, now())`;
  await f.prisma.client.$executeRaw`INSERT INTO pool (id, name, updated_at) VALUES (gen_random_uuid(), 'forever', now())`;
  await f.prisma.client.$executeRaw`INSERT INTO pool (id, name, updated_at) VALUES (gen_random_uuid(), 'scratch', now())`;
  await f.prisma.client.$executeRaw`UPDATE pool SET scratch_pool_id = (SELECT id FROM pool WHERE name = 'scratch') WHERE name = 'keep2'`;
});
after(async () => {
  await f.close();
});

let contentSeq = 0;

/** A finished backup of `root` at `at` writing `contents` (content keys; a new one when not given) to `barcode`. */
async function backup(
  barcode: string,
  pool: string,
  root: string,
  at: Date,
  contents?: number[],
  finished = true,
): Promise<{ run: string; job: string; contents: number[] }> {
  await f.prisma.client.$executeRaw`UPDATE tape SET state = 'ACTIVE', pool_id = (SELECT id FROM pool WHERE name = ${pool}) WHERE barcode = ${barcode}`;
  const job = await f.job(agent, 'BACKUP', finished ? 'SUCCEEDED' : 'INTERRUPTED', { barcode, paths: [root] });
  const [run] = await f.prisma.client.$queryRaw<{ id: string }[]>`
    INSERT INTO run (id, host_id, root, job_id, started_at, finished_at)
    VALUES (gen_random_uuid(), (SELECT id FROM host WHERE name = 'ret-host'), ${root}, ${job}::uuid, ${at}, ${finished ? at : null})
    RETURNING id::text`;
  const keys = contents ?? [++contentSeq * 1000];
  for (const c of keys) {
    const [row] = await f.prisma.client.$queryRaw<{ id: bigint }[]>`
      INSERT INTO content (sha256, size) VALUES (sha256(${String(c)}::bytea), 1)
      ON CONFLICT (sha256) DO UPDATE SET size = content.size RETURNING id`;
    const id = Number(row.id);
    await f.prisma.client.$executeRaw`
      INSERT INTO version_block (directory_id, run_num, name_ids, content_ids, sizes, mtimes, ctimes, inodes, modes, types, deleted, symlink_targets, mtime_days, content_buckets)
      VALUES (1, (SELECT num FROM run WHERE id = ${run.id}::uuid), ARRAY[${id}]::bigint[], ARRAY[${id}]::bigint[], '{1}', ARRAY[now()], '{NULL}', '{NULL}', '{420}',
              '{FILE}', '{f}', '{NULL}', ARRAY[current_date], ARRAY[${id} >> 10]::bigint[])`;
    await f.prisma.client.$executeRaw`
      INSERT INTO placement (content_id, tape_id, partition, start_block, container_path, "offset", length, job_id)
      SELECT ${id}, id, 'b', ${id}, 'x', 0, 1, ${job}::uuid FROM tape WHERE barcode = ${barcode}
      ON CONFLICT DO NOTHING`;
  }
  return { run: run.id, job, contents: keys };
}

const tape = (barcode: string) => f.prisma.client.tape.findUniqueOrThrow({ where: { barcode }, include: { pool: true } });
const placements = async (barcode: string) => f.prisma.client.placement.count({ where: { tapeId: (await tape(barcode)).id } });

test('by days: a tape whose runs are all older than retentionDays returns to scratch; a younger one stays', async () => {
  await backup('RET001L9', 'days30', '/old', new Date(now.getTime() - 40 * DAY));
  await backup('RET002L9', 'days30', '/young', new Date(now.getTime() - 10 * DAY));
  const recycled = await retention.apply(now);
  assert.deepEqual(
    recycled.map((r) => r.barcode),
    ['RET001L9'],
  );
  assert.equal((await tape('RET001L9')).state, 'SCRATCH');
  assert.equal(await placements('RET001L9'), 0, 'the catalog no longer claims files on it');
  assert.equal((await tape('RET002L9')).state, 'ACTIVE');
  assert.ok((await placements('RET002L9')) > 0);
  // A second pass changes nothing more.
  assert.deepEqual(await retention.apply(now), []);
  // Forty days later the young one has expired too.
  assert.deepEqual(
    (await retention.apply(new Date(now.getTime() + 40 * DAY))).map((r) => r.barcode),
    ['RET002L9'],
  );
});

test('by runs: the newest N runs of a source are kept; the tape goes to the scratch pool once it holds only older ones', async () => {
  await backup('RET003L9', 'keep2', '/src', new Date(now.getTime() - 3 * DAY));
  await backup('RET004L9', 'keep2', '/src', new Date(now.getTime() - 2 * DAY));
  assert.deepEqual(await retention.apply(now), [], 'two runs, both among the newest two');
  await backup('RET004L9', 'keep2', '/src', new Date(now.getTime() - 1 * DAY));
  const recycled = await retention.apply(now);
  assert.deepEqual(
    recycled.map((r) => [r.barcode, r.toPool]),
    [['RET003L9', 'scratch']],
  );
  assert.equal((await tape('RET003L9')).pool?.name, 'scratch');
  assert.equal((await tape('RET004L9')).state, 'ACTIVE');
});

test('never before: dedup content still needed by a retained run, an unfinished job, or a pool without retention keep the tape', async () => {
  // An old run's content is reused (dedup) by a young run whose own files went to another tape.
  const old = await backup('RET005L9', 'days30', '/dedup', new Date(now.getTime() - 60 * DAY));
  await backup('RET006L9', 'days30', '/dedup', new Date(now.getTime() - 1 * DAY), [...old.contents, 999_999]);
  await f.prisma.client
    .$executeRaw`DELETE FROM placement WHERE tape_id = (SELECT id FROM tape WHERE barcode = 'RET006L9') AND content_id = (SELECT id FROM content WHERE sha256 = sha256(${String(old.contents[0])}::bytea))`;
  assert.deepEqual(await retention.apply(now), [], 'RET005L9 holds the only copy of a content a retained run needs');
  assert.equal((await tape('RET005L9')).state, 'ACTIVE');

  // Once the young run has expired too, both go back.
  const later = new Date(now.getTime() + 60 * DAY);
  // ...but not while a job still names the tape.
  const pending = await f.job(agent, 'RESTORE', 'QUEUED', { tapes: [{ barcode: 'RET005L9' }] });
  assert.deepEqual(
    (await retention.apply(later)).map((r) => r.barcode),
    ['RET006L9'],
  );
  await f.prisma.client.job.update({ where: { id: pending }, data: { status: 'SUCCEEDED' } });
  assert.deepEqual(
    (await retention.apply(later)).map((r) => r.barcode),
    ['RET005L9'],
  );

  // A pool without a retention limit keeps its tapes for ever.
  await f.prisma.client.$executeRaw`UPDATE tape SET state = 'ACTIVE', pool_id = (SELECT id FROM pool WHERE name = 'forever') WHERE barcode = 'RET001L9'`;
  await backup('RET001L9', 'forever', '/kept', new Date(now.getTime() - 5000 * DAY));
  assert.deepEqual(await retention.apply(later), []);
});
