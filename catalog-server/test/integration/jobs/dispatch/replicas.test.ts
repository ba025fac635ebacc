// Two complete catalog-server replicas (GraphQL + gRPC each) on one database, a fake agent whose
// command stream is on replica B, and an operator on replica A: assignments, cancels and
// subscription updates cross replicas through PostgreSQL NOTIFY; priorities, idempotency keys under
// concurrency, lease expiry and the job log export, all over the real transports.
import { after, before, test } from 'node:test';
import { testServerConfig } from '../../../support/test-server.js';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobEventType } from '@ferrite/proto';
import { ClientError, GraphQLClient } from 'graphql-request';
import { adminClient, bearer, firstAdminToken } from '../../../support/auth.js';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger } from '../../../../src/common/logger.js';
import { DispatchRepository } from '../../../../src/modules/jobs/dispatch/dispatch.repository.js';
import { JobLifecycleService } from '../../../../src/modules/jobs/lifecycle/job-lifecycle.service.js';
import { startServer, type RunningServer } from '../../../../src/server.js';
import { FakeAgent } from '../../../support/fake-agent.js';
import { createTestDatabase, type TestDatabase } from '../../../support/test-database.js';
import { libraryRequest } from '../../catalog-fixture.js';

let db: TestDatabase;
let a: RunningServer;
let b: RunningServer;
let gqlA: GraphQLClient;
let gqlB: GraphQLClient;
let agent: FakeAgent;
const BARCODES = ['REP001L9', 'REP002L9', 'REP003L9', 'REP004L9', 'REP005L9', 'REP006L9'];

before(async () => {
  db = await createTestDatabase('replicas');
  const config = testServerConfig(db.url, {
    // A 4 s lease window: long enough that a command routed between replicas on a loaded CI
    // machine is not taken for a lost one, short enough for the lease test.
    FERRITE_HEARTBEAT_INTERVAL_MS: '400',
    FERRITE_HEARTBEAT_MISSES: '10',
  });
  a = await startServer(config, { logger: createLogger((process.env.REP_LOG as 'info') ?? 'error', process.stderr).child({ replica: 'A' }) });
  b = await startServer(config, { logger: createLogger((process.env.REP_LOG as 'info') ?? 'error', process.stderr).child({ replica: 'B' }) });
  gqlA = adminClient(a);
  // B shares A's catalog: A's first start made the admin.
  gqlB = adminClient(a, b.graphqlUrl);
  agent = new FakeAgent(b);
  await agent.register(libraryRequest('rep-agent', BARCODES, { drives: 2, slots: 8 }));
  await agent.openCommands();
  agent.startBeating(100);
});

after(async () => {
  agent?.close();
  await b?.stop();
  await a?.stop();
  await db?.drop();
});

const JOB = 'id status queueReason cancelRequested priority errorCode progress { bytesDone percentDone etaSeconds ratePerSecond }';

async function job(id: string, gql = gqlA) {
  return (await gql.request<{ job: Record<string, any> }>(`query($id: ID!) { job(id: $id) { ${JOB} } }`, { id })).job;
}

async function format(barcode: string): Promise<string> {
  return (await gqlA.request<{ formatTape: { id: string } }>(`mutation { formatTape(barcode: "${barcode}", force: true) { id } }`)).formatTape.id;
}

async function errorCode(op: Promise<unknown>): Promise<string> {
  try {
    await op;
  } catch (err) {
    if (err instanceof ClientError) return String(err.response.errors?.[0]?.extensions?.code);
    throw err;
  }
  assert.fail('expected a GraphQL error');
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test("a job created on A reaches the agent streaming to B; A's subscriber sees the updates B records; the log exports", async () => {
  const id = await format(BARCODES[0]);
  const seen: Array<{ status: string; percent: number | null }> = [];
  const ws = createClient({ url: a.graphqlUrl.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: bearer(firstAdminToken(a)) });
  const finished = new Promise<void>((resolve, reject) => {
    ws.subscribe<{ jobUpdated: { status: string; progress: { percentDone: number | null } | null } }>(
      { query: `subscription($id: ID!) { jobUpdated(id: $id) { status progress { percentDone } } }`, variables: { id } },
      {
        next: (m) => seen.push({ status: m.data!.jobUpdated.status, percent: m.data!.jobUpdated.progress?.percentDone ?? null }),
        error: reject,
        complete: resolve,
      },
    );
  });
  const cmd = await agent.nextCommand();
  assert.equal(cmd.assignJob?.jobId, id, 'the assignment crossed to the replica holding the stream');
  await until('the subscription to start', async () => seen.length > 0);

  await agent.event(id, JobEventType.JOB_EVENT_TYPE_STARTED);
  const progress = { bytesDone: 250, bytesTotal: 1000, filesDone: 1, filesTotal: 4, currentFile: '/a', currentTape: BARCODES[0] };
  await agent.event(id, JobEventType.JOB_EVENT_TYPE_PROGRESS, { progress });
  await until('A to see the progress B recorded', async () => seen.some((s) => s.percent === 25));
  await agent.event(id, JobEventType.JOB_EVENT_TYPE_COMPLETED, { progress: { ...progress, bytesDone: 1000, filesDone: 4 } });
  await finished;
  await ws.dispose();
  assert.equal(seen.at(-1)?.status, 'SUCCEEDED');
  assert.ok(
    seen.some((s) => s.status === 'RUNNING'),
    `saw ${seen.map((s) => s.status).join(',')}`,
  );

  // The log: GraphQL field on either replica, and plain HTTP, same lines, in order.
  const field = (await gqlB.request<{ job: { logJsonl: string } }>(`query($id: ID!) { job(id: $id) { logJsonl } }`, { id })).job.logJsonl;
  const res = await fetch(a.graphqlUrl.replace('/graphql', `/jobs/${id}/log.jsonl`), { headers: bearer(firstAdminToken(a)) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/x-ndjson/);
  const text = await res.text();
  assert.equal(text, field);
  const lines = text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.type),
    ['ASSIGNED', 'STARTED', 'PROGRESS', 'COMPLETED'],
  );
  assert.deepEqual(
    lines.map((l) => l.source),
    ['SERVER', 'AGENT', 'AGENT', 'AGENT'],
  );
  const missing = await fetch(a.graphqlUrl.replace('/graphql', `/jobs/${crypto.randomUUID()}/log.jsonl`), { headers: bearer(firstAdminToken(a)) });
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { code: string }).code, 'JOB_NOT_FOUND');
});

test('cancel at every stage from A; priorities order the queue; a finished job cannot be cancelled', async () => {
  // Two jobs fill both drives.
  const [r1, r2] = [await format(BARCODES[1]), await format(BARCODES[2])];
  const got = [(await agent.nextCommand()).assignJob?.jobId, (await agent.nextCommand()).assignJob?.jobId].sort();
  assert.deepEqual(got, [r1, r2].sort());
  // Three more wait, with a reason.
  const low = await format(BARCODES[3]);
  const high = await format(BARCODES[4]);
  const doomed = await format(BARCODES[5]);
  const queued = await until('the reason', async () => {
    const j = await job(low);
    return j.queueReason === 'all 2 drives of rep-agent are busy' && j;
  });
  assert.equal(queued.status, 'QUEUED');

  // Cancel a QUEUED job: ends at once.
  const c1 = (await gqlA.request<{ cancelJob: any }>(`mutation { cancelJob(id: "${doomed}") { status } }`)).cancelJob;
  assert.equal(c1.status, 'CANCELLED');

  // Priorities: bad values and running jobs are refused and change nothing; the queued one moves up.
  assert.equal(await errorCode(gqlA.request(`mutation { setJobPriority(id: "${high}", priority: 5000) { id } }`)), 'INVALID_PRIORITY');
  assert.equal(await errorCode(gqlA.request(`mutation { setJobPriority(id: "${r1}", priority: 900) { id } }`)), 'JOB_NOT_QUEUED');
  assert.equal((await job(r1)).priority, 50);
  assert.equal(
    (await gqlB.request<{ setJobPriority: any }>(`mutation { setJobPriority(id: "${high}", priority: 900) { priority } }`)).setJobPriority.priority,
    900,
  );

  // Cancel an ASSIGNED job (never acknowledged) and a RUNNING one: the agent on B is told.
  await agent.event(r2, JobEventType.JOB_EVENT_TYPE_STARTED);
  for (const id of [r1, r2]) {
    const c = (await gqlA.request<{ cancelJob: any }>(`mutation { cancelJob(id: "${id}") { status cancelRequested } }`)).cancelJob;
    assert.equal(c.cancelRequested, true, `${id} ${c.status}`);
  }
  const cancels = [(await agent.nextCommand()).cancelJob?.jobId, (await agent.nextCommand()).cancelJob?.jobId].sort();
  assert.deepEqual(cancels, [r1, r2].sort(), 'both cancels crossed to the replica holding the stream');
  // The queue is read highest priority first (the later, raised job ahead of the earlier one).
  const order = (await a.app.get(DispatchRepository).listQueued(10)).map((j) => j.id);
  assert.deepEqual(
    order.filter((id) => id === high || id === low),
    [high, low],
  );
  for (const id of [r1, r2]) {
    await agent.event(id, JobEventType.JOB_EVENT_TYPE_CANCELLED);
    assert.equal((await job(id)).status, 'CANCELLED');
  }
  // Both freed drives are used.
  const assigned = [(await agent.nextCommand()).assignJob?.jobId, (await agent.nextCommand()).assignJob?.jobId].sort();
  assert.deepEqual(assigned, [high, low].sort());
  for (const id of [high, low]) await agent.event(id, JobEventType.JOB_EVENT_TYPE_COMPLETED);

  const before = await job(low);
  assert.equal(await errorCode(gqlA.request(`mutation { cancelJob(id: "${low}") { id } }`)), 'JOB_ALREADY_FINISHED');
  assert.deepEqual(await job(low), before);
});

test('a double submission is one job, even sent at once to both replicas', async () => {
  b.app.get(JobLifecycleService); // both replicas share the database; no state in memory
  const tapes = BARCODES.slice(0, 2);
  for (const barcode of tapes) {
    await gqlA.request(`mutation { formatTape(barcode: "${barcode}", force: true) { id } }`).catch(() => {});
  }
  // Mark the tapes formatted directly: this test is about submissions, not formats.
  const pg = (await import('pg')).default;
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    await sql.query(`UPDATE job SET status = 'CANCELLED', finished_at = now() WHERE status IN ('QUEUED', 'ASSIGNED', 'RUNNING')`);
    await sql.query(`UPDATE tape SET formatted_at = now(), volume_uuid = gen_random_uuid() WHERE barcode = ANY($1)`, [tapes]);
    const submit = (gql: GraphQLClient) =>
      gql
        .request<{ startBackup: { id: string } }>(
          `mutation { startBackup(input: { agent: "rep-agent", paths: ["/data"], idempotencyKey: "nightly-2026-12-02", priority: 7 }) { id } }`,
        )
        .then((r) => r.startBackup.id);
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(i % 2 ? gqlA : gqlB)));
    assert.equal(new Set(ids).size, 1, `one job id for all submissions (got ${new Set(ids).size})`);
    const { rows } = await sql.query(`SELECT count(*)::int AS n, min(priority) AS p FROM job WHERE idempotency_key = 'nightly-2026-12-02'`);
    assert.deepEqual(rows[0], { n: 1, p: 7 });
    const runs = await sql.query(`SELECT count(*)::int AS n FROM run WHERE job_id = $1`, [ids[0]]);
    assert.equal(runs.rows[0].n, 1, 'one run for the one job');
  } finally {
    await sql.end();
  }
});

test("a job whose lease ran out while its agent is offline is INTERRUPTED by the replicas' sweep; jobs of a live agent are left alone", async () => {
  const repo = a.app.get(JobLifecycleService);
  const pg = (await import('pg')).default;
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    const { rows } = await sql.query(
      `INSERT INTO job (id, kind, status, agent_id, drive_id, spec, lease_owner, lease_expires_at, updated_at)
       SELECT gen_random_uuid(), 'FORMAT', 'RUNNING', a.id, d.id, '{"barcode":"X"}', 'gone-replica', now() + (x * interval '1 hour'), now()
       FROM agent a JOIN drive d ON d.agent_id = a.id AND d.name = 'drive0', unnest(ARRAY[-1, 1]) AS x
       WHERE a.name = 'rep-agent' RETURNING id::text, lease_expires_at < now() AS expired`,
    );
    const live = rows.find((r) => !r.expired)!.id;
    const expiredButOnline = rows.find((r) => r.expired)!.id;
    agent.running.add(expiredButOnline); // listed by the live agent: renewed by its heartbeats, never interrupted
    // An agent that went offline without its job being settled (a replica died mid-sweep).
    const ghost = new FakeAgent(b);
    await ghost.register(libraryRequest('rep-ghost', [], { drives: 1 }));
    ghost.close();
    await sql.query(`UPDATE agent SET online = false WHERE name = 'rep-ghost'`);
    const {
      rows: [orphan],
    } = await sql.query(
      `INSERT INTO job (id, kind, status, agent_id, drive_id, spec, lease_owner, lease_expires_at, updated_at)
       SELECT gen_random_uuid(), 'FORMAT', 'RUNNING', a.id, d.id, '{"barcode":"Y"}', 'gone-replica', now() - interval '1 minute', now()
       FROM agent a JOIN drive d ON d.agent_id = a.id WHERE a.name = 'rep-ghost' RETURNING id::text`,
    );
    const expired = orphan.id as string;
    agent.running.add(live); // the agent's heartbeats list it, so its lease is renewed
    const state = async () => (await sql.query(`SELECT status::text, lease_owner, error_code FROM job WHERE id = $1`, [expired])).rows[0];
    const ended = await until('the sweep to interrupt the expired job', async () => {
      const s = await state();
      return s.status === 'INTERRUPTED' && s;
    });
    assert.deepEqual(ended, { status: 'INTERRUPTED', lease_owner: null, error_code: 'AGENT_LOST' });
    await sleep(1000); // a few more sweeps
    for (const id of [live, expiredButOnline]) {
      const row = (await sql.query(`SELECT status::text FROM job WHERE id = $1`, [id])).rows[0];
      assert.equal(row.status, 'RUNNING', 'jobs of an online agent that lists them are left alone');
    }
    assert.deepEqual(await repo.interruptExpiredLeases(new Date(Date.now() + 86_400_000)), [], 'even expired leases of an online agent');
    for (const id of [live, expiredButOnline]) agent.running.delete(id);
    await sql.query(`UPDATE job SET status = 'CANCELLED', finished_at = now() WHERE id = ANY($1::uuid[])`, [[live, expiredButOnline]]);
  } finally {
    await sql.end();
  }
});
