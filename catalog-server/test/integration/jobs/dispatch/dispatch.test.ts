// Dispatch on real PostgreSQL: one assignment per job under concurrency, one job per drive, and
// several replicas (each with its own cluster bus, command router and dispatcher) on one database.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandsResponse } from '@ferrite/proto';
import { pino } from 'pino';
import { loadServerConfig } from '../../../../src/config/config.js';
import { AgentSessionsRegistry } from '../../../../src/modules/agents/agent-sessions.registry.js';
import { ClusterBus } from '../../../../src/modules/cluster/cluster-bus.js';
import { CommandRouter } from '../../../../src/modules/jobs/dispatch/command-router.js';
import { CommandStreamsRepository } from '../../../../src/modules/jobs/dispatch/command-streams.repository.js';
import { chooseDriveFor, DispatcherService } from '../../../../src/modules/jobs/dispatch/dispatcher.service.js';
import { JobUpdatesPubSub } from '../../../../src/modules/jobs/lifecycle/job-updates.pubsub.js';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../../catalog-fixture.js';

let f: CatalogFixture;
const buses: ClusterBus[] = [];
before(async () => {
  f = await createCatalogFixture('dispatch');
});
after(async () => {
  for (const bus of buses) await bus.onModuleDestroy();
  await f.close();
});

const logger = pino({ level: 'silent' });

/** One server replica's dispatch side, wired by hand on the shared database. */
async function replica(): Promise<{ dispatcher: DispatcherService; router: CommandRouter; sessions: AgentSessionsRegistry }> {
  const bus = new ClusterBus(f.db.url, logger);
  await bus.onModuleInit();
  buses.push(bus);
  const sessions = new AgentSessionsRegistry();
  const router = new CommandRouter(sessions, new CommandStreamsRepository(f.prisma), f.jobs, f.dispatch, bus, logger);
  router.onModuleInit();
  const updates = new JobUpdatesPubSub(bus, f.jobs);
  updates.onModuleInit();
  return { dispatcher: new DispatcherService(f.dispatch, f.assignment, f.lifecycle, f.jobs, router, updates, loadServerConfig({}), logger), router, sessions };
}

const lease = () => ({ owner: 'test', expiresAt: new Date(Date.now() + 60_000) });

test('concurrent assignment of one job: exactly one wins', async () => {
  const agent = await f.register(libraryRequest('d-one', ['DSP001L9'], { drives: 2 }));
  const job = await f.job(agent, 'FORMAT', 'QUEUED', { barcode: 'DSP001L9', force: false, pool: null });
  const results = await Promise.all(Array.from({ length: 8 }, () => f.assignment.tryAssign(job, lease(), chooseDriveFor)));
  assert.equal(results.filter((r) => r.outcome === 'assigned').length, 1);
  const row = await f.prisma.client.job.findUniqueOrThrow({ where: { id: job } });
  assert.equal(row.status, 'ASSIGNED');
  assert.ok(row.driveId);
  assert.equal(row.leaseOwner, 'test');
  assert.equal(await f.prisma.client.jobEvent.count({ where: { jobId: job, type: 'ASSIGNED' } }), 1);
});

test('two jobs racing for the only drive: one runs, the other waits with a reason', async () => {
  const agent = await f.register(libraryRequest('d-race', ['DSP002L9', 'DSP003L9'], { drives: 1 }));
  const a = await f.job(agent, 'FORMAT', 'QUEUED', { barcode: 'DSP002L9', force: false, pool: null });
  const b = await f.job(agent, 'FORMAT', 'QUEUED', { barcode: 'DSP003L9', force: false, pool: null });
  const [ra, rb] = await Promise.all([f.assignment.tryAssign(a, lease(), chooseDriveFor), f.assignment.tryAssign(b, lease(), chooseDriveFor)]);
  const outcomes = [ra.outcome, rb.outcome].sort();
  assert.deepEqual(outcomes, ['assigned', 'waiting']);
  const waiting = ra.outcome === 'waiting' ? a : b;
  const row = await f.prisma.client.job.findUniqueOrThrow({ where: { id: waiting } });
  assert.equal(row.status, 'QUEUED');
  assert.equal(row.queueReason, 'the only drive of d-race is busy');
});

test('three replicas dispatching at once: each job assigned once and delivered to the replica holding the stream', async () => {
  const session = randomUUID();
  const agent = await f.register(libraryRequest('d-replicas', ['DSP004L9', 'DSP005L9', 'DSP006L9', 'DSP008L9'], { drives: 3 }), session);
  const jobs = await Promise.all(
    ['DSP004L9', 'DSP005L9', 'DSP006L9', 'DSP008L9'].map((barcode) => f.job(agent, 'FORMAT', 'QUEUED', { barcode, force: true, pool: null })),
  );
  const replicas = [await replica(), await replica(), await replica()];
  // The agent's stream is on the first replica only; the others must route through NOTIFY.
  const sent: CommandsResponse[] = [];
  await replicas[0].router.streamOpened(agent, session, { write: (m) => (sent.push(m), true), end: () => {} });
  await Promise.all(replicas.flatMap((r) => [r.dispatcher.dispatchOnce(), r.dispatcher.dispatchOnce()]));
  // Leftovers skipped by a lock in one pass are picked up by the next.
  await Promise.all(replicas.map((r) => r.dispatcher.dispatchOnce()));
  const rows = await f.prisma.client.job.findMany({ where: { id: { in: jobs } } });
  const assigned = rows.filter((j) => j.status === 'ASSIGNED');
  assert.equal(assigned.length, 3, 'three drives, three jobs assigned');
  assert.equal(new Set(assigned.map((j) => j.driveId)).size, 3, 'each job on its own drive');
  const waiting = rows.find((j) => j.status === 'QUEUED')!;
  assert.equal(waiting.queueReason, 'all 3 drives of d-replicas are busy');
  for (let i = 0; i < 100 && sent.length < 3; i++) await sleep(50);
  await sleep(200); // a duplicate would arrive in this window
  const assignedIds = sent.map((m) => m.assignJob!.jobId).sort();
  assert.deepEqual(assignedIds, assigned.map((j) => j.id).sort(), 'each assigned job pushed exactly once');
  const owners = new Set(assigned.map((j) => j.leaseOwner));
  assert.ok(
    [...owners].every((o) => o && o.length > 0),
    'every assignment carries a lease owner',
  );
  assert.ok(
    assigned.every((j) => j.leaseExpiresAt && j.leaseExpiresAt.getTime() > Date.now()),
    'leases expire in the future',
  );
});

test('a cancel on one replica reaches the agent whose stream is on another', async () => {
  const session = randomUUID();
  const agent = await f.register(libraryRequest('d-cancel', ['DSP009L9']), session);
  const [holder, other] = [await replica(), await replica()];
  const sent: CommandsResponse[] = [];
  await holder.router.streamOpened(agent, session, { write: (m) => (sent.push(m), true), end: () => {} });
  const job = await f.job(agent, 'FORMAT', 'RUNNING', { barcode: 'DSP009L9', force: true, pool: null });
  assert.equal(await other.router.isReachable(agent), true);
  assert.equal(await other.router.cancel(agent, job, 'test'), true);
  for (let i = 0; i < 100 && sent.length < 1; i++) await sleep(50);
  assert.deepEqual(
    sent.map((m) => m.cancelJob?.jobId),
    [job],
  );
  // Once the stream closes, no replica claims the agent is reachable.
  await holder.router.streamClosed(agent, session, { write: () => true, end: () => {} }).catch(() => {});
  holder.sessions.disconnect(agent);
  await f.prisma.client.$executeRaw`DELETE FROM agent_command_stream WHERE agent_id = ${agent}::uuid`;
  assert.equal(await other.router.isReachable(agent), false);
  assert.equal(await other.router.cancel(agent, job, 'test'), false);
});

test('a job whose agent has no stream waits with a reason', async () => {
  const agent = await f.register(libraryRequest('d-offline', ['DSP007L9']));
  await f.prisma.client.agent.update({ where: { id: agent }, data: { online: false } });
  const job = await f.job(agent, 'FORMAT', 'QUEUED', { barcode: 'DSP007L9', force: false, pool: null });
  const { dispatcher } = await replica();
  await dispatcher.dispatchOnce();
  const row = await f.prisma.client.job.findUniqueOrThrow({ where: { id: job } });
  assert.equal(row.status, 'QUEUED');
  assert.equal(row.queueReason, 'agent d-offline is offline');
});

test('a job whose stored spec is not valid fails INVALID_JOB_SPEC at dispatch instead of being queued again forever', async () => {
  const agent = await f.register(libraryRequest('d-badspec', ['DSP201L9', 'DSP202L9']));
  const { dispatcher, router, sessions } = await replica();
  const session = randomUUID();
  await f.prisma.client.agent.update({ where: { id: agent }, data: { sessionId: session } });
  await router.streamOpened(agent, session, { write: () => true, end: () => {} });
  // A format whose spec lost its barcode, and a backup whose paths are not a list (as a hand edit
  // of the database or an older server could leave them).
  const format = await f.job(agent, 'FORMAT', 'QUEUED', { force: false, pool: null });
  const backup = await f.job(agent, 'BACKUP', 'QUEUED', {
    barcode: 'DSP202L9',
    paths: '/data',
    excludes: [],
    level: 'FULL',
    pool: null,
    host: 'h',
    runIds: ['r'],
    smallFileThreshold: 1,
    bundleTargetBytes: 1,
    checkpointBytes: 1,
    checkpointFiles: 1,
  });
  await dispatcher.dispatchOnce();
  for (const [id, field] of [
    [format, 'barcode'],
    [backup, 'paths'],
  ] as const) {
    const row = await f.prisma.client.job.findUniqueOrThrow({ where: { id } });
    assert.equal(row.status, 'FAILED', `${field}: ${row.queueReason}`);
    assert.equal(row.errorCode, 'INVALID_JOB_SPEC');
    assert.match(row.errorMessage ?? '', new RegExp(`\\(${field}: `));
    assert.equal(row.driveId, null);
    const events = await f.prisma.client.jobEvent.findMany({ where: { jobId: id, type: 'FAILED' } });
    assert.equal(events.length, 1);
  }
  sessions.disconnect(agent);
});

/** A backup that names no tape, as startBackup writes it: the dispatcher chooses the tape. */
const backupSpec = (pool: string | null) => ({
  tapeChosenAtDispatch: true,
  paths: ['/data'],
  excludes: [],
  level: 'FULL',
  pool,
  host: 'h',
  runIds: [],
  smallFileThreshold: 1,
  bundleTargetBytes: 1,
  checkpointBytes: 1,
  checkpointFiles: 1,
});

test('a backup with no tape waits with the reason; two queued backups and one new tape: only one takes it', async () => {
  const agent = await f.register(libraryRequest('d-pick', ['DSP101L9', 'DSP102L9'], { drives: 2 }));
  await f.prisma.client.pool.create({ data: { name: 'pick' } });
  const [a, b] = [await f.job(agent, 'BACKUP', 'QUEUED', backupSpec('pick')), await f.job(agent, 'BACKUP', 'QUEUED', backupSpec('pick'))];
  const first = await f.assignment.tryAssign(a, lease(), chooseDriveFor);
  assert.deepEqual(first, { outcome: 'waiting', reason: 'no scratch tape in pool pick on agent d-pick', changed: true });
  assert.equal((await f.prisma.client.job.findUniqueOrThrow({ where: { id: a } })).queueReason, 'no scratch tape in pool pick on agent d-pick');

  // One tape is formatted (in no pool yet): both backups race for it.
  await f.prisma.client.tape.update({ where: { barcode: 'DSP101L9' }, data: { formattedAt: new Date(), state: 'SCRATCH' } });
  const results = await Promise.all([f.assignment.tryAssign(a, lease(), chooseDriveFor), f.assignment.tryAssign(b, lease(), chooseDriveFor)]);
  assert.deepEqual(results.map((r) => r.outcome).sort(), ['assigned', 'waiting']);
  const [winner, loser] = results[0].outcome === 'assigned' ? [a, b] : [b, a];
  const won = await f.prisma.client.job.findUniqueOrThrow({ where: { id: winner } });
  assert.equal(won.status, 'ASSIGNED');
  assert.equal((won.spec as { barcode?: string }).barcode, 'DSP101L9');
  const lost = await f.prisma.client.job.findUniqueOrThrow({ where: { id: loser } });
  assert.equal(lost.status, 'QUEUED');
  assert.equal((lost.spec as { barcode?: string }).barcode, undefined);
  assert.equal(lost.queueReason, 'no scratch tape in pool pick on agent d-pick (1 more is in use by other jobs)');
  // Taking a scratch tape in no pool draws it into the backup's pool.
  const tape = await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'DSP101L9' }, include: { pool: true } });
  assert.equal(tape.pool?.name, 'pick');
  assert.equal(await f.prisma.client.jobEvent.count({ where: { jobId: winner, type: 'TAPE_CHOSEN' } }), 1);

  // Queued again before it started (the command never arrived): the tape goes back, the loser may take it.
  assert.equal(await f.jobs.requeue(null, winner, 'test'), true);
  assert.equal(((await f.prisma.client.job.findUniqueOrThrow({ where: { id: winner } })).spec as { barcode?: string }).barcode, undefined);
  assert.equal((await f.assignment.tryAssign(loser, lease(), chooseDriveFor)).outcome, 'assigned');
});

test("a backup takes a tape from its pool's scratch pool, never one of another pool or one a queued format names", async () => {
  const agent = await f.register(libraryRequest('d-scratch', ['DSP201L9', 'DSP202L9', 'DSP203L9'], { drives: 1 }));
  const scratch = await f.prisma.client.pool.create({ data: { name: 'scratch-s' } });
  const other = await f.prisma.client.pool.create({ data: { name: 'other-s' } });
  await f.prisma.client.pool.create({ data: { name: 'weekly-s', scratchPoolId: scratch.id } });
  await f.prisma.client.tape.updateMany({
    where: { barcode: { in: ['DSP201L9', 'DSP202L9', 'DSP203L9'] } },
    data: { formattedAt: new Date(), state: 'SCRATCH' },
  });
  await f.prisma.client.tape.update({ where: { barcode: 'DSP201L9' }, data: { poolId: other.id } });
  await f.prisma.client.tape.update({ where: { barcode: 'DSP202L9' }, data: { poolId: scratch.id } });
  await f.prisma.client.tape.update({ where: { barcode: 'DSP203L9' }, data: { poolId: scratch.id } });
  await f.job(agent, 'FORMAT', 'QUEUED', { barcode: 'DSP202L9', force: true, pool: 'scratch-s' });
  const job = await f.job(agent, 'BACKUP', 'QUEUED', backupSpec('weekly-s'));
  assert.equal((await f.assignment.tryAssign(job, lease(), chooseDriveFor)).outcome, 'assigned');
  const row = await f.prisma.client.job.findUniqueOrThrow({ where: { id: job } });
  assert.equal((row.spec as { barcode?: string }).barcode, 'DSP203L9');
  assert.equal((await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'DSP203L9' }, include: { pool: true } })).pool?.name, 'weekly-s');
});

test('a backup to a pool with copies 2 leases two tapes and two drives; what it holds no other job gets', async () => {
  const agent = await f.register(libraryRequest('d-copies', ['DSP301L9', 'DSP302L9', 'DSP303L9'], { drives: 3 }));
  await f.prisma.client.pool.create({ data: { name: 'twice', copies: 2, generation: 9 } });
  await f.prisma.client.tape.updateMany({
    where: { barcode: { in: ['DSP301L9', 'DSP302L9', 'DSP303L9'] } },
    data: { formattedAt: new Date(), state: 'SCRATCH' },
  });
  const a = await f.job(agent, 'BACKUP', 'QUEUED', backupSpec('twice'));
  const b = await f.job(agent, 'BACKUP', 'QUEUED', backupSpec('twice'));
  const ra = await f.assignment.tryAssign(a, lease(), chooseDriveFor);
  assert.equal(ra.outcome, 'assigned');
  const row = await f.prisma.client.job.findUniqueOrThrow({ where: { id: a } });
  const spec = row.spec as { barcode: string; tapes: { copy: number; barcode: string; driveName: string; driveId: string }[] };
  assert.deepEqual(
    spec.tapes.map((t) => [t.copy, t.barcode]),
    [
      [1, 'DSP301L9'],
      [2, 'DSP302L9'],
    ],
  );
  assert.equal(spec.barcode, 'DSP301L9');
  assert.notEqual(spec.tapes[0].driveName, spec.tapes[1].driveName);
  assert.equal(spec.tapes[0].driveId, row.driveId);
  // One tape and one drive are left: the second backup needs two of each.
  const rb = await f.assignment.tryAssign(b, lease(), chooseDriveFor);
  assert.deepEqual(rb, {
    outcome: 'waiting',
    reason: 'needs 2 tapes in pool twice on agent d-copies (one per copy), 1 available (2 more are in use by other jobs)',
    changed: true,
  });
  // The copy drive counts as busy: a format queued now gets the third drive, not the copy's.
  const fmt = await f.job(agent, 'FORMAT', 'QUEUED', { barcode: 'DSP303L9', force: true, pool: null });
  const rf = await f.assignment.tryAssign(fmt, lease(), chooseDriveFor);
  assert.equal(rf.outcome, 'assigned');
  assert.ok(rf.outcome === 'assigned' && !spec.tapes.some((t) => t.driveName === rf.driveName), 'the format did not take a drive of the backup');
  // With every drive taken, a copies backup that has its tapes waits for drives.
  await f.prisma.client.job.update({ where: { id: fmt }, data: { status: 'SUCCEEDED' } });
  await f.prisma.client.job.update({ where: { id: a }, data: { status: 'SUCCEEDED' } });
  const c = await f.job(agent, 'FORMAT', 'ASSIGNED', { barcode: 'X', force: true, pool: null });
  const d = await f.job(agent, 'FORMAT', 'ASSIGNED', { barcode: 'Y', force: true, pool: null });
  const drives = await f.prisma.client.drive.findMany({ where: { agentId: agent }, orderBy: { name: 'asc' } });
  await f.prisma.client.job.update({ where: { id: c }, data: { driveId: drives[0].id } });
  await f.prisma.client.job.update({ where: { id: d }, data: { driveId: drives[1].id } });
  const rb2 = await f.assignment.tryAssign(b, lease(), chooseDriveFor);
  assert.equal(rb2.outcome, 'waiting');
  assert.equal(rb2.outcome === 'waiting' && rb2.reason, 'needs 2 free LTO-9 drives on agent d-copies (one per copy), 1 free');
  assert.equal(
    ((await f.prisma.client.job.findUniqueOrThrow({ where: { id: b } })).spec as { barcode?: string }).barcode,
    undefined,
    'no tape is leased while it waits',
  );
});
