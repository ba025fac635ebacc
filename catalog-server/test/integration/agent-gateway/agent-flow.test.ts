// The server in-process on a real database, a fake agent over real gRPC on loopback, and an
// operator over real GraphQL HTTP (and graphql-ws): the format path end to end, cancel, queueing,
// and the refusals an agent or an operator must get.
import { after, before, test } from 'node:test';
import { testServerConfig } from '../../support/test-server.js';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { JobEventType } from '@ferrite/proto';
import { ClientError, GraphQLClient } from 'graphql-request';
import { adminClient, bearer, firstAdminToken } from '../../support/auth.js';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { FakeAgent } from '../../support/fake-agent.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { libraryRequest } from '../catalog-fixture.js';

let db: TestDatabase;
let server: RunningServer;
let gql: GraphQLClient;
let agent: FakeAgent;
const BARCODES = ['FLO001L9', 'FLO002L9', 'FLO003L9', 'FLO004L9'];

before(async () => {
  db = await createTestDatabase('agent_flow');
  const config = testServerConfig(db.url, {
    // Short beats so the offline path runs within the test (5 s of silence = offline), but not so
    // short that a loaded CI machine stalls the fake agent past the window; it beats every 200 ms.
    FERRITE_HEARTBEAT_INTERVAL_MS: '1000',
    FERRITE_HEARTBEAT_MISSES: '5',
  });
  server = await startServer(config, { logger: createLogger('error', process.stderr) });
  gql = adminClient(server);
  agent = new FakeAgent(server);
  await agent.register(libraryRequest('fake-01', BARCODES, { drives: 2 }));
  await agent.openCommands();
  agent.startBeating(200);
});

after(async () => {
  agent?.close();
  await server?.stop();
  await db?.drop();
});

const JOB = `id status kind queueReason cancelRequested errorCode attempt tapes summary
  progress { bytesDone bytesTotal filesDone filesTotal currentFile currentTape ratePerSecond }
  drive { name } agent { name } events { type source message }`;

async function format(barcode: string, extra = ''): Promise<{ id: string; status: string }> {
  const r = await gql.request<{ formatTape: { id: string; status: string } }>(`mutation { formatTape(barcode: "${barcode}"${extra}) { id status } }`);
  return r.formatTape;
}

async function job(id: string) {
  return (await gql.request<{ job: Record<string, any> }>(`query($id: ID!) { job(id: $id) { ${JOB} } }`, { id })).job;
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

async function grpcError(op: Promise<unknown>): Promise<{ code: number; ferriteCode: string }> {
  try {
    await op;
  } catch (err) {
    const e = err as ServiceError;
    return { code: e.code, ferriteCode: String(e.metadata?.get('ferrite-code')[0]) };
  }
  assert.fail('expected a gRPC error');
}

test('the registered agent shows up with its drives and slots', async () => {
  const r = await gql.request<{ agent: any }>(
    `{ agent(name: "fake-01") { name online drives { name state backend } changers { name slotCount slots { slot barcode importExport } } } }`,
  );
  assert.equal(r.agent.online, true);
  assert.deepEqual(
    r.agent.drives.map((d: any) => d.name),
    ['drive0', 'drive1'],
  );
  const slots = r.agent.changers[0].slots;
  assert.deepEqual(
    slots.slice(0, 4).map((s: any) => s.barcode),
    BARCODES,
  );
  assert.equal(slots.at(-1).importExport, true);
  const tapes = await gql.request<{ tapes: any }>(
    `{ tapes(filter: { agent: "fake-01" }) { totalCount edges { node { barcode state formatted location { agent changer slot drive onShelf } } } } }`,
  );
  assert.equal(tapes.tapes.totalCount, 4);
  assert.deepEqual(tapes.tapes.edges[0].node.location, { agent: 'fake-01', changer: 'lib0', slot: 1, drive: null, onShelf: false });
});

test('format: GraphQL -> AssignJob on the stream -> events -> SUCCEEDED with progress', async () => {
  const updates: string[] = [];
  const created = await format(BARCODES[0], ', pool: null');
  const ws = createClient({ url: server.graphqlUrl.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: bearer(firstAdminToken(server)) });
  const subscribed = new Promise<void>((resolve, reject) => {
    ws.subscribe<{ jobUpdated: { status: string } }>(
      { query: `subscription($id: ID!) { jobUpdated(id: $id) { status progress { bytesDone } } }`, variables: { id: created.id } },
      { next: (m) => updates.push(m.data!.jobUpdated.status), error: reject, complete: resolve },
    );
  });

  const cmd = await agent.nextCommand();
  assert.ok(cmd.assignJob, 'an AssignJob arrives');
  assert.equal(cmd.assignJob.jobId, created.id);
  assert.equal(cmd.assignJob.format?.barcode, BARCODES[0]);
  assert.equal(cmd.assignJob.attempt, 1);
  assert.equal((await job(created.id)).status, 'ASSIGNED');
  await new Promise((r) => setTimeout(r, 200)); // let the subscription settle before the events

  const progress = { bytesDone: 524288, bytesTotal: 524288, filesDone: 1, filesTotal: 1, currentFile: '/FERRITE.json', currentTape: BARCODES[0] };
  assert.equal((await agent.event(created.id, JobEventType.JOB_EVENT_TYPE_ACKNOWLEDGED)).accepted, true);
  await agent.event(created.id, JobEventType.JOB_EVENT_TYPE_STARTED);
  await agent.event(created.id, JobEventType.JOB_EVENT_TYPE_PROGRESS, { progress });
  const tape = { barcode: BARCODES[0], capacityBytes: 18e12, usedBytes: 524288, volumeUuid: '7b1c9d2e-3f4a-4b5c-8d6e-7f8091a2b3c4', formatted: true };
  const done = await agent.event(created.id, JobEventType.JOB_EVENT_TYPE_COMPLETED, { tape, progress });
  assert.deepEqual(done, { accepted: true, cancelRequested: false });

  const j = await job(created.id);
  assert.equal(j.status, 'SUCCEEDED');
  assert.equal(j.progress.bytesDone, 524288);
  assert.equal(j.progress.currentTape, BARCODES[0]);
  assert.equal(j.drive.name, cmd.assignJob.driveName);
  assert.deepEqual(
    j.events.map((e: any) => e.type),
    ['ASSIGNED', 'ACKNOWLEDGED', 'STARTED', 'COMPLETED'],
    'the log, in order, without PROGRESS lines by default',
  );
  const t = await gql.request<{ tape: any }>(`{ tape(barcode: "${BARCODES[0]}") { formatted state usedBytes availableBytes volumeUuid } }`);
  assert.equal(t.tape.formatted, true);
  assert.equal(t.tape.state, 'SCRATCH');
  assert.equal(t.tape.volumeUuid, tape.volumeUuid);

  // The agent retries its final report: accepted=false, nothing changes.
  const again = await agent.event(created.id, JobEventType.JOB_EVENT_TYPE_COMPLETED, { seq: 4, tape, progress });
  assert.equal(again.accepted, false);

  await new Promise((r) => setTimeout(r, 200));
  await ws.dispose();
  await subscribed.catch(() => {});
  assert.ok(updates.includes('RUNNING'), `subscription saw RUNNING (saw ${updates.join(',')})`);
  assert.equal(updates.at(-1), 'SUCCEEDED');

  // Cancelling a finished job is refused and changes nothing.
  const before = await job(created.id);
  assert.equal(await errorCode(gql.request(`mutation { cancelJob(id: "${created.id}") { id } }`)), 'JOB_ALREADY_FINISHED');
  assert.deepEqual(await job(created.id), before);
});

test('busy drives queue a job with a reason; a finishing job lets it run; cancel reaches the agent', async () => {
  const a = await format(BARCODES[1]);
  const b = await format(BARCODES[2]);
  const ca = await agent.nextCommand();
  const cb = await agent.nextCommand();
  assert.deepEqual([ca.assignJob?.jobId, cb.assignJob?.jobId].sort(), [a.id, b.id].sort());
  const c = await format(BARCODES[3]);
  await new Promise((r) => setTimeout(r, 300));
  const queued = await job(c.id);
  assert.equal(queued.status, 'QUEUED');
  assert.equal(queued.queueReason, 'all 2 drives of fake-01 are busy');

  // b is cancelled by the operator: the agent is told and confirms.
  await agent.event(b.id, JobEventType.JOB_EVENT_TYPE_ACKNOWLEDGED);
  const cancelled = await gql.request<{ cancelJob: any }>(`mutation { cancelJob(id: "${b.id}") { status cancelRequested } }`);
  assert.deepEqual(cancelled.cancelJob, { status: 'RUNNING', cancelRequested: true });
  const cancelCmd = await agent.nextCommand();
  assert.equal(cancelCmd.cancelJob?.jobId, b.id);
  assert.equal((await agent.event(b.id, JobEventType.JOB_EVENT_TYPE_PROGRESS)).cancelRequested, true);
  await agent.event(b.id, JobEventType.JOB_EVENT_TYPE_CANCELLED, { message: 'cancelled by the server' });
  assert.equal((await job(b.id)).status, 'CANCELLED');

  // Its drive is free again: c is dispatched without waiting for the periodic pass.
  const cc = await agent.nextCommand(3000);
  assert.equal(cc.assignJob?.jobId, c.id);

  // a fails on the agent.
  await agent.event(a.id, JobEventType.JOB_EVENT_TYPE_FAILED, { errorCode: 'MEDIUM_ERROR', message: 'write error at block 12' });
  const failed = await job(a.id);
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.errorCode, 'MEDIUM_ERROR');

  const list = await gql.request<{ jobs: any }>(
    `{ jobs(filter: { status: [FAILED, CANCELLED], agent: "fake-01" }, first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
  );
  assert.equal(list.jobs.totalCount, 2);
  assert.equal(list.jobs.pageInfo.hasNextPage, true);
  const next = await gql.request<{ jobs: any }>(
    `query($after: String) { jobs(filter: { status: [FAILED, CANCELLED] }, first: 5, after: $after) { pageInfo { hasNextPage } edges { node { id } } } }`,
    { after: list.jobs.pageInfo.endCursor },
  );
  assert.equal(next.jobs.edges.length, 1);
  assert.notEqual(next.jobs.edges[0].node.id, list.jobs.edges[0].node.id);
});

test('another agent cannot report for a job it does not own', async () => {
  const j = (await gql.request<{ jobs: any }>(`{ jobs(filter: { agent: "fake-01" }, first: 1) { edges { node { id } } } }`)).jobs.edges[0].node.id;
  const intruder = new FakeAgent(server);
  try {
    await intruder.register(libraryRequest('fake-02', []));
    assert.deepEqual(await grpcError(intruder.files(j, 1)), { code: status.PERMISSION_DENIED, ferriteCode: 'JOB_NOT_OWNED' });
    assert.deepEqual(await grpcError(intruder.event(j, JobEventType.JOB_EVENT_TYPE_STARTED)), { code: status.PERMISSION_DENIED, ferriteCode: 'JOB_NOT_OWNED' });
    assert.deepEqual(await grpcError(intruder.files(crypto.randomUUID(), 1)), { code: status.NOT_FOUND, ferriteCode: 'JOB_NOT_FOUND' });
  } finally {
    intruder.close();
  }
});

test('bad operator input gets a stable code and changes nothing', async () => {
  const jobsBefore = (await gql.request<{ jobs: any }>(`{ jobs { totalCount } }`)).jobs.totalCount;
  assert.equal(await errorCode(format('NOPE01L9')), 'TAPE_NOT_FOUND');
  await gql.request(`mutation { registerTape(barcode: "SHELF1L9") { barcode location { onShelf } } }`);
  // On the shelf and never in a library: nobody knows whose library it should go into.
  assert.equal(await errorCode(format('SHELF1L9')), 'TAPE_AGENT_UNKNOWN');
  assert.equal(await errorCode(format('SHELF1L9', ', agent: "nobody"')), 'AGENT_NOT_FOUND');
  const backup = (input: string) => gql.request(`mutation { startBackup(input: { ${input} }) { id } }`);
  assert.equal(await errorCode(backup(`agent: "nobody", paths: ["/data"]`)), 'AGENT_NOT_FOUND');
  assert.equal(await errorCode(backup(`agent: "fake-01", paths: ["relative/path"]`)), 'INVALID_PATH');
  // A shelf tape may be asked for, but only if it could take the backup once inserted.
  assert.equal(await errorCode(backup(`agent: "fake-01", paths: ["/data"], tape: "SHELF1L9"`)), 'TAPE_NOT_FORMATTED');
  assert.equal(await errorCode(backup(`agent: "fake-01", paths: ["/data"], tape: "${BARCODES[3]}"`)), 'TAPE_NOT_FORMATTED');
  const restore = (target: string) =>
    gql.request(`mutation { startRestore(input: { selection: { runId: "${crypto.randomUUID()}" }, agent: "fake-01", targetDirectory: "${target}" }) { id } }`);
  assert.equal(await errorCode(restore('/restore/../etc')), 'RESTORE_TARGET_INVALID');
  assert.equal(await errorCode(restore('/etc/ferrite')), 'RESTORE_TARGET_NOT_ALLOWED');
  assert.equal(await errorCode(gql.request(`mutation { cancelJob(id: "not-a-job") { id } }`)), 'JOB_NOT_FOUND');
  assert.equal(await errorCode(gql.request(`{ jobs(after: "garbage") { totalCount } }`)), 'INVALID_CURSOR');
  assert.equal((await gql.request<{ jobs: any }>(`{ jobs { totalCount } }`)).jobs.totalCount, jobsBefore);
});

test('a format of a shelf tape naming an agent waits for an operator to insert it there', async () => {
  const j = await format('SHELF1L9', ', agent: "fake-01"');
  assert.equal(j.status, 'QUEUED');
  const waiting = await job(j.id);
  assert.match(waiting.queueReason, /^waiting for an operator: insert tape SHELF1L9 into library lib0 on host /);
  const open = await gql.request<{ operatorRequests: Array<{ barcode: string; agent: string; jobId: string }> }>(
    '{ operatorRequests(status: OPEN) { barcode agent jobId } }',
  );
  assert.deepEqual(
    open.operatorRequests.map((r) => [r.barcode, r.agent, r.jobId]),
    [['SHELF1L9', 'fake-01', j.id]],
  );
  // It does not reach the agent; cancelling it closes the request.
  await gql.request(`mutation { cancelJob(id: "${j.id}") { id } }`);
  const left = await gql.request<{ operatorRequests: unknown[] }>('{ operatorRequests(status: OPEN) { id } }');
  assert.equal(left.operatorRequests.length, 0);
});

test('heartbeats: an old session is told to re-register; a silent agent goes offline and its job is INTERRUPTED', async () => {
  const stale = await agent.heartbeat(crypto.randomUUID());
  assert.equal(stale.sessionValid, false);
  assert.equal(agent.lastBeatValid, true);

  const j = await format(BARCODES[1], ', force: true');
  const cmd = await agent.nextCommand();
  assert.equal(cmd.assignJob?.jobId, j.id);
  await agent.event(j.id, JobEventType.JOB_EVENT_TYPE_STARTED);
  await new Promise((r) => setTimeout(r, 2500)); // more than two beat intervals
  assert.equal((await job(j.id)).status, 'RUNNING', 'a beating agent keeps its job');

  const ended = agent.streamEnded();
  agent.stopBeating();
  const deadline = Date.now() + 30_000;
  let state: any;
  do {
    await new Promise((r) => setTimeout(r, 200));
    state = (await gql.request<{ agent: any }>(`{ agent(name: "fake-01") { online } }`)).agent;
  } while (state.online && Date.now() < deadline);
  assert.equal(state.online, false);
  await ended; // the server closed the command stream of the agent it considers gone
  let interrupted = await job(j.id);
  while (interrupted.status !== 'INTERRUPTED' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    interrupted = await job(j.id);
  }
  assert.equal(interrupted.status, 'INTERRUPTED');
  assert.equal(interrupted.errorCode, 'AGENT_LOST');
  assert.equal(interrupted.events.at(-1).type, 'INTERRUPTED');
});

test("the agent's own policy is shown, and a format it forbids is refused before any job (POLICY_DENIED)", async () => {
  const careful = new FakeAgent(server);
  try {
    await careful.register({
      ...libraryRequest('fake-careful', ['CAR001L9']),
      allowedBackupRoots: ['/data'],
      allowFormat: true,
      allowForceFormat: false,
    });
    const shown = await gql.request<{ agent: { allowedBackupRoots: string[]; allowFormat: boolean; allowForceFormat: boolean } }>(
      '{ agent(name: "fake-careful") { allowedBackupRoots allowFormat allowForceFormat } }',
    );
    assert.deepEqual(shown.agent, { allowedBackupRoots: ['/data'], allowFormat: true, allowForceFormat: false });
    const jobsBefore = (await gql.request<{ jobs: { totalCount: number } }>(`{ jobs { totalCount } }`)).jobs.totalCount;
    assert.equal(await errorCode(gql.request('mutation { formatTape(barcode: "CAR001L9", force: true) { id } }')), 'POLICY_DENIED');
    assert.equal((await gql.request<{ jobs: { totalCount: number } }>(`{ jobs { totalCount } }`)).jobs.totalCount, jobsBefore, 'no job was made');
    // Its policy allows a format without force: that one is queued for it.
    const ok = await gql.request<{ formatTape: { id: string } }>('mutation { formatTape(barcode: "CAR001L9") { id } }');
    assert.ok(ok.formatTape.id);
    // The fake agent (first registration) predates nothing: an agent that sends no policy is not checked.
    const old = await gql.request<{ agent: { allowFormat: boolean | null } }>('{ agent(name: "fake-01") { allowFormat } }');
    assert.equal(old.agent.allowFormat, null);
  } finally {
    careful.close();
  }
});
