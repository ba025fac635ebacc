// The two calls of an agent with standalone drives, over real gRPC against the server on a real
// database: RequestTape (a running job asks the operator for a cartridge, and says when it came) and
// ReportInventory (the agent reports what an operator put in or took out). Every refusal changes
// nothing: unknown tape, another agent's job, an old attempt, an old session.
import { after, before, test } from 'node:test';
import { testServerConfig } from '../../support/test-server.js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ServiceError } from '@grpc/grpc-js';
import { DriveBackend, DriveState, JobEventType, LibraryInventory, RegisterRequest, type DeepPartial } from '@ferrite/proto';
import { GraphQLClient } from 'graphql-request';
import { adminClient } from '../../support/auth.js';
import { createLogger } from '../../../src/common/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { FakeAgent } from '../../support/fake-agent.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { libraryRequest } from '../catalog-fixture.js';

let db: TestDatabase;
let server: RunningServer;
let gql: GraphQLClient;
let solo: FakeAgent;
let other: FakeAgent;
let jobId: string;
const TAPE = 'SRP001L9';

const drive = (loaded: string) => ({
  name: 'st0',
  serial: 'ST0',
  vendor: 'IBM',
  model: 'ULT3580-HH9',
  generation: 9,
  backend: DriveBackend.DRIVE_BACKEND_LTFS,
  state: loaded ? DriveState.DRIVE_STATE_LOADED : DriveState.DRIVE_STATE_EMPTY,
  loadedBarcode: loaded,
  changerName: '',
  changerDriveIndex: 0,
});
const inventory = (loaded: string): DeepPartial<LibraryInventory> => ({
  drives: [drive(loaded)],
  changers: [],
  tapes: loaded ? [{ barcode: loaded, generation: 9, capacityBytes: 18e12, formatted: true, detailsKnown: false }] : [],
});

before(async () => {
  db = await createTestDatabase('standalone_rpcs');
  server = await startServer(testServerConfig(db.url), {
    logger: createLogger('error', process.stderr),
  });
  gql = adminClient(server);
  solo = new FakeAgent(server);
  await solo.register(
    RegisterRequest.fromPartial({ agentName: 'solo-rpc', hostname: 'solo.example', version: 'test', allowedRestoreRoots: ['/restore'], ...inventory('') }),
  );
  await solo.openCommands();
  solo.startBeating(200);
  other = new FakeAgent(server);
  await other.register(libraryRequest('other-rpc', ['ORP001L9']));
  await gql.request('mutation($b: String!) { registerTape(barcode: $b) { barcode } }', { b: TAPE });
  // A new cartridge for an agent with only standalone drives: the format starts at once and asks.
  const r = await gql.request<{ formatTape: { id: string; status: string } }>(
    'mutation($b: String!) { formatTape(barcode: $b, agent: "solo-rpc") { id status } }',
    {
      b: TAPE,
    },
  );
  jobId = r.formatTape.id;
  const cmd = await solo.nextCommand();
  assert.equal(cmd.assignJob?.jobId, jobId, 'dispatched without the tape in the drive');
  await solo.event(jobId, JobEventType.JOB_EVENT_TYPE_ACKNOWLEDGED);
  await solo.event(jobId, JobEventType.JOB_EVENT_TYPE_STARTED);
});

after(async () => {
  solo?.close();
  other?.close();
  await server?.stop();
  await db?.drop();
});

const requestTape = (agent: FakeAgent, over: Partial<{ jobId: string; attempt: number; barcode: string; done: boolean }> = {}) =>
  new Promise<void>((resolve, reject) =>
    agent.client.requestTape(
      { agentId: agent.agentId, jobId, attempt: 1, barcode: TAPE, driveName: 'st0', done: false, note: 'st0 is empty', ...over },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
const reportInventory = (sessionId: string, loaded: string) =>
  new Promise<boolean>((resolve, reject) =>
    solo.client.reportInventory({ agentId: solo.agentId, sessionId, inventory: LibraryInventory.fromPartial(inventory(loaded)) }, (err, res) =>
      err ? reject(err) : resolve(res.sessionValid),
    ),
  );
const ferriteCode = async (op: Promise<unknown>) => {
  try {
    await op;
  } catch (err) {
    return String((err as ServiceError).metadata?.get('ferrite-code')[0]);
  }
  assert.fail('expected a gRPC error');
};
const jobState = async () =>
  (await gql.request<{ job: { status: string; queueReason: string | null } }>('query($id: ID!) { job(id: $id) { status queueReason } }', { id: jobId })).job;
const openRequests = async () =>
  (
    await gql.request<{ operatorRequests: { jobId: string; barcode: string; message: string }[] }>(
      '{ operatorRequests(status: OPEN) { jobId barcode message } }',
    )
  ).operatorRequests;
const loadedInCatalog = async () =>
  (await gql.request<{ agent: { drives: { loadedTape: { barcode: string } | null }[] } }>('{ agent(name: "solo-rpc") { drives { loadedTape { barcode } } } }'))
    .agent.drives[0]?.loadedTape?.barcode ?? null;

test('refusals change nothing: unknown tape, another agent, an old attempt', async () => {
  assert.equal(await ferriteCode(requestTape(solo, { barcode: 'NOPE01L9' })), 'TAPE_NOT_FOUND');
  assert.equal(await ferriteCode(requestTape(other)), 'JOB_NOT_OWNED');
  assert.equal(await ferriteCode(requestTape(solo, { attempt: 2 })), 'STALE_ATTEMPT');
  assert.equal((await jobState()).status, 'RUNNING');
  assert.deepEqual(await openRequests(), []);
});

test('a request names tape, drive and host, shows the job WAITING_FOR_TAPE, and is not doubled when repeated', async () => {
  await requestTape(solo);
  await requestTape(solo);
  const open = await openRequests();
  assert.equal(open.length, 1);
  assert.equal(open[0].barcode, TAPE);
  assert.match(open[0].message, new RegExp(`insert tape ${TAPE} into drive st0 on host solo\\.example`));
  const state = await jobState();
  assert.equal(state.status, 'WAITING_FOR_TAPE');
  assert.match(state.queueReason ?? '', /waiting for an operator/);
});

test('an inventory from an old session is refused and not applied; the current one is', async () => {
  assert.equal(await reportInventory(randomUUID(), TAPE), false);
  assert.equal(await loadedInCatalog(), null);
  assert.equal(await reportInventory(solo.sessionId, TAPE), true);
  assert.equal(await loadedInCatalog(), TAPE);
});

test('done closes the request and the job runs again', async () => {
  await requestTape(solo, { done: true });
  assert.deepEqual(await openRequests(), []);
  assert.equal((await jobState()).status, 'RUNNING');
});
