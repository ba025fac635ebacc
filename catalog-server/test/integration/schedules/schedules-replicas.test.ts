// Schedules on real PostgreSQL with two catalog-server replicas in this process (a full server, and
// a second Nest application of the same AppModule without listeners, on one database): GraphQL create/update/pause/resume/delete taking effect without a restart, bad
// input changing nothing, one job per fire instant however many replicas fire it, refusals
// recorded on the firing, and real @nestjs/schedule timers firing.
import { after, before, describe, it } from 'node:test';
import { testServerConfig } from '../../support/test-server.js';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ClientError, GraphQLClient } from 'graphql-request';
import { adminClient } from '../../support/auth.js';
import pg from 'pg';
import { AppModule } from '../../../src/app.module.js';
import { createLogger } from '../../../src/common/logger.js';
import { AgentsService } from '../../../src/modules/agents/agents.service.js';
import { ScheduleFiringService } from '../../../src/modules/schedules/schedule-firing.service.js';
import { ScheduleTimersService } from '../../../src/modules/schedules/schedule-timers.service.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { libraryRequest } from '../catalog-fixture.js';

let db: TestDatabase;
let sql: pg.Client;
let a: RunningServer;
let b: { app: INestApplicationContext; stop(): Promise<void> };
let gql: GraphQLClient;

before(async () => {
  db = await createTestDatabase('schedules');
  const config = testServerConfig(db.url);
  a = await startServer(config, { logger: createLogger('error', process.stderr) });
  // The second replica needs no HTTP/gRPC listener (nor a second migration run) to fire schedules.
  const replica = await NestFactory.createApplicationContext(AppModule.forRoot(config, db.url, createLogger('error', process.stderr)), { logger: false });
  b = { app: replica, stop: () => replica.close() };
  gql = adminClient(a);
  const agents = a.app.get(AgentsService);
  await agents.register(libraryRequest('sched-host', ['SCH001L9', 'SCH002L9', 'SCH003L9'], { drives: 2 }));
  await agents.register(libraryRequest('bare-host', [], { drives: 1 }));
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  // Formatted scratch tapes, so a backup can pick one.
  await sql.query(`UPDATE tape SET formatted_at = now(), volume_uuid = gen_random_uuid()`);
});

after(async () => {
  await sql?.end();
  await b?.stop();
  await a?.stop();
  await db?.drop();
});

const FIELDS = 'id name cron timeZone agent paths excludes pool level enabled lastFiredAt nextFireTimes(count: 3)';

async function errorCode(op: Promise<unknown>): Promise<string> {
  try {
    await op;
  } catch (err) {
    if (err instanceof ClientError) return String(err.response.errors?.[0]?.extensions?.code);
    throw err;
  }
  assert.fail('expected a GraphQL error');
}

const create = (input: Record<string, unknown>) =>
  gql
    .request<{ createSchedule: Record<string, any> }>(`mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { ${FIELDS} } }`, { input })
    .then((r) => r.createSchedule);
const update = (name: string, input: Record<string, unknown>) =>
  gql
    .request<{ updateSchedule: Record<string, any> }>(
      `mutation($name: String!, $input: UpdateScheduleInput!) { updateSchedule(name: $name, input: $input) { ${FIELDS} } }`,
      { name, input },
    )
    .then((r) => r.updateSchedule);
const mutate = (op: 'pauseSchedule' | 'resumeSchedule' | 'deleteSchedule', name: string) =>
  gql.request<Record<string, Record<string, any>>>(`mutation($name: String!) { ${op}(name: $name) { ${FIELDS} } }`, { name }).then((r) => r[op]);
const get = (name: string) =>
  gql
    .request<{ schedule: Record<string, any> }>(
      `query($name: String!) { schedule(name: $name) { ${FIELDS} firings(count: 50) { fireTime jobId errorCode claimedBy } } }`,
      { name },
    )
    .then((r) => r.schedule);
const count = async () => (await gql.request<{ schedules: { totalCount: number } }>(`{ schedules(first: 10) { totalCount } }`)).schedules.totalCount;

type FiringSeen = { fireTime: string; jobId: string | null; errorCode: string | null; claimedBy: string; finishedAt: string | null };
async function waitForFinished(name: string): Promise<FiringSeen[]> {
  for (let i = 0; ; i++) {
    const { firings } = await gql
      .request<{ schedule: { firings: FiringSeen[] } }>(
        `query($name: String!) { schedule(name: $name) { firings(count: 50) { fireTime jobId errorCode claimedBy finishedAt } } }`,
        { name },
      )
      .then((r) => r.schedule);
    if (firings.every((f) => f.finishedAt) || i >= 100) return firings;
    await sleep(100);
  }
}

const timersOf = (s: { app: INestApplicationContext }) => s.app.get(ScheduleTimersService);
const registryOf = (s: { app: INestApplicationContext }) => s.app.get(SchedulerRegistry);
const berlinClock = (iso: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

describe('schedules over GraphQL', () => {
  it('creates a schedule, shows its next fire times in its zone, and arms timers on both replicas', async () => {
    await gql.request(`mutation { createPool(input: { name: "sched-scratch", generation: 9 }) { id } }`);
    const pool = await gql.request<{ createPool: Record<string, unknown> }>(
      `mutation { createPool(input: { name: "sched-pool", generation: 9, copies: 2, retentionRuns: 3, scratchPool: "sched-scratch", dedup: true }) { name copies retentionDays retentionRuns scratchPool dedup } }`,
    );
    assert.deepEqual(pool.createPool, { name: 'sched-pool', copies: 2, retentionDays: null, retentionRuns: 3, scratchPool: 'sched-scratch', dedup: true });
    assert.equal(await errorCode(gql.request(`mutation { createPool(input: { name: "lto10", generation: 10, copies: 2 }) { id } }`)), 'INVALID_POOL');
    assert.equal(await errorCode(gql.request(`mutation { updatePool(name: "ghost", input: { copies: 1 }) { id } }`)), 'POOL_NOT_FOUND');
    const s = await create({
      name: 'nightly',
      cron: '30 2 * * *',
      timeZone: 'Europe/Berlin',
      agent: 'sched-host',
      paths: ['/srv/data'],
      excludes: ['*.tmp'],
      pool: 'sched-pool',
      level: 'INCREMENTAL',
    });
    assert.equal(s.agent, 'sched-host');
    assert.equal(s.pool, 'sched-pool');
    assert.equal(s.level, 'INCREMENTAL');
    assert.equal(s.enabled, true);
    assert.equal(s.nextFireTimes.length, 3);
    for (const t of s.nextFireTimes) assert.ok(['02:30', '03:00'].includes(berlinClock(t)), t);
    // This replica's timer is there at once; the other one's after its next reconcile.
    assert.ok(timersOf(a).activeScheduleIds().includes(s.id));
    assert.ok(!timersOf(b).activeScheduleIds().includes(s.id));
    await timersOf(b).reconcile();
    assert.ok(timersOf(b).activeScheduleIds().includes(s.id));
    const job = registryOf(b).getCronJob(`schedule:${s.id}`);
    assert.equal(job.nextDate().toJSDate().toISOString(), new Date(s.nextFireTimes[0]).toISOString());
  });

  it('refuses bad input with stable codes and stores nothing', async () => {
    const before = await count();
    const ok = { name: 'bad', cron: '0 1 * * *', timeZone: 'UTC', agent: 'sched-host', paths: ['/srv'] };
    assert.equal(await errorCode(create({ ...ok, cron: '0 25 * * *' })), 'INVALID_CRON');
    assert.equal(await errorCode(create({ ...ok, timeZone: 'Europe/Atlantis' })), 'INVALID_TIME_ZONE');
    assert.equal(await errorCode(create({ ...ok, agent: 'ghost' })), 'AGENT_NOT_FOUND');
    assert.equal(await errorCode(create({ ...ok, pool: 'ghost' })), 'POOL_NOT_FOUND');
    assert.equal(await errorCode(create({ ...ok, paths: ['srv'] })), 'INVALID_PATH');
    assert.equal(await errorCode(create({ ...ok, name: 'nightly' })), 'SCHEDULE_ALREADY_EXISTS');
    assert.equal(await errorCode(get('ghost')), 'SCHEDULE_NOT_FOUND');
    assert.equal(await errorCode(update('nightly', { cron: '1 2 3' })), 'INVALID_CRON');
    assert.equal(await errorCode(update('nightly', { timeZone: 'CEST' })), 'INVALID_TIME_ZONE');
    assert.equal(await errorCode(update('ghost', { cron: '0 1 * * *' })), 'SCHEDULE_NOT_FOUND');
    assert.equal(await count(), before);
    const s = await get('nightly');
    assert.equal(s.cron, '30 2 * * *');
    assert.equal(s.timeZone, 'Europe/Berlin');
  });

  it('takes update, pause, resume and delete into effect without a restart', async () => {
    const id = (await get('nightly')).id;
    const updated = await update('nightly', { cron: '0 4 * * SUN', timeZone: 'America/New_York' });
    assert.equal(registryOf(a).getCronJob(`schedule:${id}`).nextDate().toJSDate().toISOString(), new Date(updated.nextFireTimes[0]).toISOString());
    await timersOf(b).reconcile();
    assert.equal(registryOf(b).getCronJob(`schedule:${id}`).nextDate().toJSDate().toISOString(), new Date(updated.nextFireTimes[0]).toISOString());

    const paused = await mutate('pauseSchedule', 'nightly');
    assert.equal(paused.enabled, false);
    assert.deepEqual(paused.nextFireTimes, []);
    assert.equal(registryOf(a).doesExist('cron', `schedule:${id}`), false);
    await timersOf(b).reconcile();
    assert.equal(registryOf(b).doesExist('cron', `schedule:${id}`), false);

    assert.equal((await mutate('resumeSchedule', 'nightly')).enabled, true);
    assert.equal(registryOf(a).doesExist('cron', `schedule:${id}`), true);

    await mutate('deleteSchedule', 'nightly');
    assert.equal(registryOf(a).doesExist('cron', `schedule:${id}`), false);
    assert.equal(await errorCode(get('nightly')), 'SCHEDULE_NOT_FOUND');
    await timersOf(b).reconcile();
    assert.equal(registryOf(b).doesExist('cron', `schedule:${id}`), false);
  });
});

describe('firing', () => {
  it('gives one job per instant when both replicas fire it at once', async () => {
    const s = await create({ name: 'race', cron: '30 2 * * *', timeZone: 'Europe/Berlin', agent: 'sched-host', paths: ['/srv/race'] });
    const fa = a.app.get(ScheduleFiringService);
    const fb = b.app.get(ScheduleFiringService);
    const instants = ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-10-25T00:30:00.000Z'].map((t) => new Date(t));
    for (const t of instants) {
      const outcomes = await Promise.all([fa.fire(s.id, t), fb.fire(s.id, t), fa.fire(s.id, t)]);
      assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['skipped', 'skipped', 'started'], t.toISOString());
      // This agent runs nothing: the job is marked done so the next instant is not held back by it.
      await sql.query(`UPDATE job SET status = 'SUCCEEDED', finished_at = now() WHERE idempotency_key = $1`, [`schedule:${s.id}:${t.toISOString()}`]);
    }
    const { rows } = await sql.query(`SELECT idempotency_key, spec FROM job WHERE idempotency_key LIKE $1 ORDER BY idempotency_key`, [`schedule:${s.id}:%`]);
    assert.deepEqual(
      rows.map((r) => r.idempotency_key),
      instants.map((t) => `schedule:${s.id}:${t.toISOString()}`),
    );
    assert.deepEqual(rows[0].spec.paths, ['/srv/race']);
    const after = await get('race');
    assert.equal(after.lastFiredAt, '2026-10-25T00:30:00.000Z');
    assert.equal(after.firings.length, 3);
    assert.ok(after.firings.every((f: { jobId: string | null }) => f.jobId));
    await mutate('deleteSchedule', 'race');
  });

  it('starts the backup queued when there is no tape yet, and notes it on the firing', async () => {
    const s = await create({ name: 'no-tape', cron: '0 1 * * *', timeZone: 'UTC', agent: 'bare-host', paths: ['/home'] });
    const t = new Date('2026-05-01T01:00:00.000Z');
    const out = await a.app.get(ScheduleFiringService).fire(s.id, t);
    assert.equal(out.outcome, 'started');
    const [firing] = (
      await gql.request<{ schedule: { firings: { jobId: string | null; errorCode: string | null; note: string | null }[] } }>(
        `query { schedule(name: "no-tape") { firings(count: 1) { jobId errorCode note } } }`,
      )
    ).schedule.firings;
    assert.ok(firing.jobId);
    assert.equal(firing.errorCode, null);
    assert.equal(firing.note, 'queued: no writable tape on agent bare-host');
    const { job } = await gql.request<{ job: { status: string; queueReason: string } }>(`query($id: ID!) { job(id: $id) { status queueReason } }`, {
      id: firing.jobId,
    });
    // The job waits; its reason is kept current by the dispatcher (this test agent has no command
    // stream, which the dispatcher reports first).
    assert.equal(job.status, 'QUEUED');
    assert.ok(job.queueReason);
    assert.equal((await get('no-tape')).lastFiredAt, t.toISOString());
    // The next night, the backup still waits: no second job queues behind it; the firing says why.
    const nextNight = new Date('2026-05-02T01:00:00.000Z');
    const held = await a.app.get(ScheduleFiringService).fire(s.id, nextNight);
    assert.equal(held.outcome, 'failed');
    const [heldFiring] = (
      await gql.request<{ schedule: { firings: { jobId: string | null; errorCode: string | null; errorMessage: string | null }[] } }>(
        `query { schedule(name: "no-tape") { firings(count: 1) { jobId errorCode errorMessage } } }`,
      )
    ).schedule.firings;
    assert.equal(heldFiring.jobId, null);
    assert.equal(heldFiring.errorCode, 'PREVIOUS_JOB_UNFINISHED');
    assert.match(heldFiring.errorMessage!, new RegExp(`job ${firing.jobId} from this schedule's firing at ${t.toISOString()} is still QUEUED`));
    const jobsOfSchedule = async () => (await sql.query(`SELECT count(*)::int AS n FROM job WHERE idempotency_key LIKE $1`, [`schedule:${s.id}:%`])).rows[0].n;
    assert.equal(await jobsOfSchedule(), 1);
    // The operator can drop the waiting backup; the night after starts a new one.
    const cancelled = await gql.request<{ cancelJob: { status: string } }>(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id: firing.jobId });
    assert.equal(cancelled.cancelJob.status, 'CANCELLED');
    const third = await a.app.get(ScheduleFiringService).fire(s.id, new Date('2026-05-03T01:00:00.000Z'));
    assert.equal(third.outcome, 'started');
    assert.equal(await jobsOfSchedule(), 2);
    if (third.outcome === 'started') await gql.request(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id: third.jobId });
    await mutate('deleteSchedule', 'no-tape');
  });

  it("refuses a schedule whose agent can never write the pool's copies, and records the refusal if the pool changes later", async () => {
    assert.equal(
      await errorCode(create({ name: 'one-drive', cron: '0 2 * * *', timeZone: 'UTC', agent: 'bare-host', paths: ['/home'], pool: 'sched-pool' })),
      'POOL_COPIES_UNSATISFIABLE',
    );
    assert.equal(await errorCode(get('one-drive')), 'SCHEDULE_NOT_FOUND');
    // Valid when created (one copy); the pool asks for two copies afterwards.
    const s = await create({ name: 'one-drive', cron: '0 2 * * *', timeZone: 'UTC', agent: 'bare-host', paths: ['/home'], pool: 'sched-scratch' });
    await gql.request('mutation { updatePool(name: "sched-scratch", input: { copies: 2 }) { copies } }');
    const before = (await sql.query(`SELECT count(*)::int AS n FROM job`)).rows[0].n;
    const out = await a.app.get(ScheduleFiringService).fire(s.id, new Date('2026-05-02T02:00:00.000Z'));
    assert.equal(out.outcome, 'failed');
    assert.equal(out.outcome === 'failed' && out.errorCode, 'POOL_COPIES_UNSATISFIABLE');
    assert.match(
      out.outcome === 'failed' ? out.errorMessage : '',
      /pool sched-scratch writes 2 copies at once, one per drive, but agent bare-host has only 1 drive/,
    );
    assert.equal((await sql.query(`SELECT count(*)::int AS n FROM job`)).rows[0].n, before, 'no job was created');
    await gql.request('mutation { updatePool(name: "sched-scratch", input: { copies: 1 }) { copies } }');
    await mutate('deleteSchedule', 'one-drive');
  });

  it('lets another replica finish a firing whose claimer died mid-way', async () => {
    const s = await create({ name: 'orphaned', cron: '*/5 * * * *', timeZone: 'UTC', agent: 'sched-host', paths: ['/srv/orphan'] });
    // A replica claimed this instant three minutes ago and died before starting the backup.
    const t = new Date(Math.floor((Date.now() - 3 * 60_000) / 300_000) * 300_000);
    await sql.query(
      `INSERT INTO schedule_firing (id, schedule_id, fire_time, claimed_by, claimed_at) VALUES (gen_random_uuid(), $1, $2, 'dead', now() - interval '3 minutes')`,
      [s.id, t],
    );
    await timersOf(b).reconcile();
    const [firing] = (await get('orphaned')).firings;
    assert.equal(firing.fireTime, t.toISOString());
    assert.equal(firing.claimedBy, b.app.get(ScheduleFiringService).replicaId);
    assert.ok(firing.jobId);
    const { rows } = await sql.query(`SELECT id FROM job WHERE idempotency_key = $1`, [`schedule:${s.id}:${t.toISOString()}`]);
    assert.deepEqual(
      rows.map((r) => r.id),
      [firing.jobId],
    );
    await mutate('deleteSchedule', 'orphaned');
  });

  it('fires through the real timers of both replicas, once per instant', async () => {
    const s = await create({ name: 'every-second', cron: '* * * * * *', timeZone: 'UTC', agent: 'sched-host', paths: ['/srv/tick'] });
    await timersOf(b).reconcile();
    await sleep(2_600);
    await mutate('pauseSchedule', 'every-second');
    // A tick already past its claim finishes its backup after the pause: wait for every outcome.
    const firings = await waitForFinished('every-second');
    assert.ok(firings.length >= 2, `fired ${firings.length} times`);
    const times = firings.map((f) => f.fireTime);
    assert.equal(new Set(times).size, times.length);
    const replicas = [a.app.get(ScheduleFiringService).replicaId, b.app.get(ScheduleFiringService).replicaId];
    assert.ok(firings.every((f) => replicas.includes(f.claimedBy)));
    // This agent runs nothing, so the first instant's job stays queued and the later instants start
    // no job of their own (PREVIOUS_JOB_UNFINISHED).
    const started = firings.filter((f) => f.jobId);
    assert.ok(started.length >= 1);
    assert.ok(
      firings.every((f) => f.jobId || f.errorCode === 'PREVIOUS_JOB_UNFINISHED'),
      JSON.stringify(firings),
    );
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM job WHERE idempotency_key LIKE $1`, [`schedule:${s.id}:%`]);
    assert.equal(rows[0].n, started.length);
  });
});
