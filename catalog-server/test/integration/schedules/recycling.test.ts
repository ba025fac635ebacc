// Recycling reuses tapes, on real PostgreSQL: a tape retention returns to scratch awaits a format
// (reformatPending) and no backup takes it meanwhile (nor a FULL tape, ever); the pass after it
// queues one forced FORMAT per recycling, whatever the number of passes; the completed format
// clears the flag and the tape is writable again. WORM tapes are never recycled.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { PoolRetentionRepository } from '../../../src/modules/tapes/pool-retention.repository.js';
import { PoolRetentionService } from '../../../src/modules/tapes/pool-retention.service.js';
import { TapesRepository } from '../../../src/modules/tapes/tapes.repository.js';
import { FilesRepository } from '../../../src/modules/files/files.repository.js';
import { RecycledTapeFormatsService, recycledFormatKey } from '../../../src/modules/jobs/api/recycled-tape-formats.service.js';
import type { DispatcherService } from '../../../src/modules/jobs/dispatch/dispatcher.service.js';
import { chooseBackupTapes } from '../../../src/modules/jobs/dispatch/backup-tape-choice.js';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../catalog-fixture.js';

let f: CatalogFixture;
let tapes: TapesRepository;
let retention: PoolRetentionService;
let formats: RecycledTapeFormatsService;
let agent: string;
let kicks = 0;
const DAY = 86_400_000;
const now = new Date('2026-12-06T12:00:00Z');
const BARCODES = ['RCY001L9', 'RCY002L9', 'RCY003L9', 'RCY004L9'];

before(async () => {
  f = await createCatalogFixture('recycling');
  tapes = new TapesRepository(f.prisma);
  retention = new PoolRetentionService(new PoolRetentionRepository(f.prisma, tapes, new FilesRepository(f.prisma)), pino({ level: 'silent' }));
  const dispatcher = { kick: () => void kicks++ } as unknown as DispatcherService;
  formats = new RecycledTapeFormatsService(tapes, f.jobs, retention, dispatcher, pino({ level: 'silent' }));
  formats.onModuleInit();
  agent = await f.register(libraryRequest('rcy-host', BARCODES, { slots: 6 }));
  await f.prisma.client.$executeRaw`UPDATE tape SET formatted_at = now() - interval '90 days', volume_uuid = gen_random_uuid()`;
  await f.prisma.client.$executeRaw`INSERT INTO host (name) VALUES ('rcy-host') ON CONFLICT DO NOTHING`;
  await f.prisma.client.$executeRaw`INSERT INTO pool (id, name, updated_at) VALUES (gen_random_uuid(), 'scratch9', now())`;
  await f.prisma.client.$executeRaw`
    INSERT INTO pool (id, name, retention_days, scratch_pool_id, updated_at)
    VALUES (gen_random_uuid(), 'daily', 30, (SELECT id FROM pool WHERE name = 'scratch9'), now())`;
});
after(async () => {
  await f.close();
});

/** A finished backup at `at` with one file on `barcode`, which becomes `state` in pool daily. */
async function backup(barcode: string, at: Date, state: 'ACTIVE' | 'FULL'): Promise<void> {
  await f.prisma.client.$executeRaw`
    UPDATE tape SET state = ${state}::"TapeState", used_bytes = capacity_bytes / 2, pool_id = (SELECT id FROM pool WHERE name = 'daily') WHERE barcode = ${barcode}`;
  const job = await f.job(agent, 'BACKUP', 'SUCCEEDED', { barcode, paths: ['/data'] });
  const [run] = await f.prisma.client.$queryRaw<{ num: bigint }[]>`
    INSERT INTO run (id, host_id, root, job_id, started_at, finished_at)
    VALUES (gen_random_uuid(), (SELECT id FROM host WHERE name = 'rcy-host'), '/data', ${job}::uuid, ${at}, ${at})
    RETURNING num`;
  const [content] = await f.prisma.client.$queryRaw<{ id: bigint }[]>`
    INSERT INTO content (sha256, size) VALUES (sha256(${barcode + at.toISOString()}::bytea), 1) RETURNING id`;
  const id = Number(content.id);
  await f.prisma.client.$executeRaw`
    INSERT INTO version_block (directory_id, run_num, name_ids, content_ids, sizes, mtimes, ctimes, inodes, modes, types, deleted, symlink_targets, mtime_days, content_buckets)
    VALUES (1, ${run.num}, ARRAY[${id}]::bigint[], ARRAY[${id}]::bigint[], '{1}', ARRAY[now()], '{NULL}', '{NULL}', '{420}',
            '{FILE}', '{f}', '{NULL}', ARRAY[current_date], ARRAY[${id} >> 10]::bigint[])`;
  await f.prisma.client.$executeRaw`
    INSERT INTO placement (content_id, tape_id, partition, start_block, container_path, "offset", length, job_id)
    SELECT ${id}, id, 'b', 10, 'x', 0, 1, ${job}::uuid FROM tape WHERE barcode = ${barcode}`;
}

const tape = (barcode: string) => f.prisma.client.tape.findUniqueOrThrow({ where: { barcode }, include: { pool: true } });
const writable = () => f.prisma.client.$transaction((tx) => f.dispatch.writableTapes(tx, agent, randomUUID()));
const formatJobs = () => f.prisma.client.job.findMany({ where: { kind: 'FORMAT' }, orderBy: { createdAt: 'asc' } });

test('a recycled tape awaits its format: never chosen for a backup meanwhile, nor a FULL tape; WORM tapes are never recycled', async () => {
  await backup('RCY001L9', new Date(now.getTime() - 40 * DAY), 'FULL');
  await backup('RCY002L9', new Date(now.getTime() - 40 * DAY), 'ACTIVE');
  await f.prisma.client.$executeRaw`UPDATE tape SET worm = true WHERE barcode = 'RCY002L9'`;
  await backup('RCY003L9', new Date(now.getTime() - 2 * DAY), 'FULL');

  // Before the pass: the FULL tapes are not writable; the expired WORM tape is (it is ACTIVE, not full).
  assert.deepEqual(
    (await writable()).map((t) => t.barcode),
    ['RCY002L9', 'RCY004L9'],
  );

  const recycled = await retention.apply(now);
  assert.deepEqual(
    recycled.map((r) => [r.barcode, r.toPool]),
    [['RCY001L9', 'scratch9']],
    'the expired FULL tape is recycled; the WORM one and the young one stay',
  );
  const t1 = await tape('RCY001L9');
  assert.equal(t1.state, 'SCRATCH');
  assert.equal(t1.reformatPending, true);
  assert.ok(t1.recycledAt, 'the recycling time is kept');
  assert.equal(await f.prisma.client.placement.count({ where: { tapeId: t1.id } }), 0);
  assert.equal((await tape('RCY002L9')).state, 'ACTIVE', 'WORM: never recycled');
  assert.equal((await tape('RCY002L9')).reformatPending, false);

  // The recycled tape is SCRATCH in the scratch pool, yet no backup takes it until its format is done.
  const candidates = await writable();
  assert.deepEqual(
    candidates.map((t) => t.barcode),
    ['RCY002L9', 'RCY004L9'],
  );
  const pools = await f.prisma.client.pool.findMany();
  const daily = pools.find((p) => p.name === 'daily')!;
  const choice = chooseBackupTapes(candidates, { agentName: 'rcy-host', pool: { id: daily.id, name: 'daily', scratchPoolId: daily.scratchPoolId }, copies: 1 });
  assert.deepEqual(choice, { barcodes: ['RCY002L9'] });
});

test('the pass queues one forced FORMAT per recycling, keeping the tape in its scratch pool, and never a second', async () => {
  const jobs = await formatJobs();
  assert.equal(jobs.length, 1, 'queued by the pass that recycled the tape');
  const t1 = await tape('RCY001L9');
  assert.deepEqual(
    [jobs[0].status, jobs[0].agentId, jobs[0].spec, jobs[0].idempotencyKey],
    ['QUEUED', agent, { barcode: 'RCY001L9', force: true, pool: 'scratch9' }, recycledFormatKey('RCY001L9', t1.recycledAt!)],
  );
  assert.ok(kicks >= 1, 'the dispatcher is woken');
  // Further passes (on any replica) while it waits, runs or after it failed queue nothing more.
  assert.deepEqual(await formats.queueFormats(), []);
  await f.prisma.client.job.update({ where: { id: jobs[0].id }, data: { status: 'FAILED' } });
  assert.deepEqual(await formats.queueFormats(), []);
  assert.equal((await formatJobs()).length, 1);
});

test('the completed format clears reformatPending: the tape is writable again; a later recycling queues a new format', async () => {
  const before = await tape('RCY001L9');
  const volumeUuid = randomUUID();
  await f.prisma.client.$transaction((tx) =>
    tapes.applyAgentReport(tx, {
      barcode: 'RCY001L9',
      capacityBytes: 0,
      usedBytes: 1024,
      volumeUuid,
      formatted: true,
      reformatted: true,
      written: false,
      pool: 'scratch9',
    }),
  );
  const after = await tape('RCY001L9');
  assert.deepEqual([after.reformatPending, after.state, after.volumeUuid, after.pool?.name], [false, 'SCRATCH', volumeUuid, 'scratch9']);
  assert.ok(after.formattedAt! > before.formattedAt!);
  assert.deepEqual(
    (await writable()).map((t) => t.barcode),
    ['RCY001L9', 'RCY002L9', 'RCY004L9'],
  );

  // Written again, expired again: recycled again, and a new format is queued for this recycling.
  await backup('RCY001L9', new Date(now.getTime() + 1 * DAY), 'ACTIVE');
  assert.deepEqual(
    (await retention.apply(new Date(now.getTime() + 60 * DAY))).map((r) => r.barcode),
    ['RCY001L9', 'RCY003L9'],
  );
  const queued = (await formatJobs()).filter((j) => j.status === 'QUEUED').map((j) => (j.spec as { barcode: string }).barcode);
  assert.deepEqual(queued.sort(), ['RCY001L9', 'RCY003L9']);
});

test('a recycled tape on the shelf gets its format once a library holds it', async () => {
  await f.prisma.client.$executeRaw`UPDATE job SET status = 'SUCCEEDED' WHERE kind = 'FORMAT'`;
  await backup('RCY004L9', new Date(now.getTime() - 400 * DAY), 'ACTIVE');
  await f.prisma.client.$executeRaw`UPDATE tape SET last_agent_id = agent_id, agent_id = NULL, changer_id = NULL, slot = NULL WHERE barcode = 'RCY004L9'`;
  const count = (await formatJobs()).length;
  assert.deepEqual(
    (await retention.apply(now)).map((r) => r.barcode),
    ['RCY004L9'],
  );
  assert.equal((await formatJobs()).length, count, 'no format for a tape in no library');
  await f.prisma.client.$executeRaw`UPDATE tape SET agent_id = last_agent_id WHERE barcode = 'RCY004L9'`;
  assert.deepEqual(await formats.queueFormats(), ['RCY004L9']);
});
