// Operator requests on real PostgreSQL: a job created with its request is invisible to the
// dispatcher until an inventory (registration or a job's inventory) puts the tape in that agent's
// library; abandoned requests close. Plus the inventory path that carries TapeAlerts and brings an
// offsite tape back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRegistration } from '../../../src/modules/agents/registration.js';
import { OperatorRequestsRepository, type NewOperatorRequest } from '../../../src/modules/operator-requests/operator-requests.repository.js';
import { waitingForOperatorReason } from '../../../src/modules/operator-requests/operator-requests.service.js';
import type { NewJob } from '../../../src/modules/jobs/lifecycle/jobs.repository.js';
import { inTransaction } from '../../../src/database/transaction.js';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../catalog-fixture.js';

let f: CatalogFixture;
let requests: OperatorRequestsRepository;
before(async () => {
  f = await createCatalogFixture('operator_requests');
  requests = new OperatorRequestsRepository(f.prisma);
});
after(async () => {
  await f.close();
});

/** A job and its requests in one transaction, the way jobs-waiting.service.ts creates them. */
async function createJobWithRequests(job: NewJob, wanted: NewOperatorRequest[]) {
  return inTransaction(f.prisma, 'create job waiting for an operator', async (tx) => {
    const row = await f.jobs.insert(tx, { ...job, queueReason: waitingForOperatorReason(wanted) });
    return { job: row, requests: await requests.insertForJob(tx, row.id, wanted) };
  });
}

async function createJobWithRequest(job: NewJob, wanted: NewOperatorRequest) {
  const { job: row, requests: made } = await createJobWithRequests(job, [wanted]);
  return { job: row, request: made[0] };
}

/** Satisfies the agent's requests and releases their jobs, the way JobsWaitingService.tapesArrived does. */
function satisfy(agentId: string) {
  return inTransaction(f.prisma, 'satisfy operator requests', async (tx) => {
    const rows = await requests.satisfyFound(tx, agentId);
    await f.jobs.releaseToDispatcher(
      tx,
      rows.map((r) => r.jobId),
    );
    return rows;
  });
}

const queuedIds = async () => (await f.dispatch.listQueued(100)).map((j) => j.id);

test('a job waiting for an operator is not dispatched until an inventory finds its tape', async () => {
  const agentId = await f.register(libraryRequest('req-agent', ['REQ001L9']));
  await f.prisma.client.tape.create({ data: { barcode: 'REQ009L9', generation: 9, capacityBytes: 18e12 } });
  const { job, request } = await createJobWithRequest(
    { kind: 'LOAD', agentId, priority: 80, spec: { barcode: 'REQ009L9', driveName: 'drive0' } },
    { barcode: 'REQ009L9', agentId, changerName: 'lib0', message: 'insert tape REQ009L9 into library lib0 on host req-agent.example' },
  );
  assert.equal(job.status, 'QUEUED');
  assert.match(job.queueReason ?? '', /waiting for an operator: insert tape REQ009L9/);
  assert.equal(request.status, 'OPEN');
  assert.equal(request.agentName, 'req-agent');
  assert.ok(!(await queuedIds()).includes(job.id), 'the dispatcher does not see it');

  // An inventory that does not show the tape changes nothing.
  assert.deepEqual(await satisfy(agentId), []);

  // The operator inserted it; the agent's inventory shows it in slot 2.
  await f.agents.applyInventory(agentId, parseRegistration(libraryRequest('req-agent', ['REQ001L9', 'REQ009L9'])));
  const satisfied = await satisfy(agentId);
  assert.deepEqual(
    satisfied.map((r) => [r.id, r.status]),
    [[request.id, 'SATISFIED']],
  );
  assert.ok(satisfied[0].resolvedAt);
  assert.ok((await queuedIds()).includes(job.id), 'the dispatcher sees it now');
  assert.equal((await f.jobs.findById(job.id))!.queueReason, 'waiting for the dispatcher');
  assert.deepEqual(await satisfy(agentId), [], 'satisfied once');
});

test("a tape found in another agent's library does not satisfy the request", async () => {
  const wanted = await f.register(libraryRequest('want-agent', []));
  const other = await f.register(libraryRequest('other-agent', ['OTH001L9']));
  const { request } = await createJobWithRequest(
    { kind: 'CHECK', agentId: wanted, priority: 40, spec: { barcode: 'OTH001L9', repair: false, rollbackGeneration: null } },
    { barcode: 'OTH001L9', agentId: wanted, changerName: null, message: 'insert tape OTH001L9' },
  );
  assert.deepEqual(await satisfy(other), []);
  assert.deepEqual(await satisfy(wanted), []);
  assert.equal(
    (await requests.list('OPEN', 100)).some((r) => r.id === request.id),
    true,
  );
});

test('a request whose job was cancelled is closed as CANCELLED', async () => {
  const agentId = await f.register(libraryRequest('cancel-agent', []));
  const { job, request } = await createJobWithRequest(
    { kind: 'LOAD', agentId, priority: 80, spec: { barcode: 'CAN001L9', driveName: 'drive0' } },
    { barcode: 'CAN001L9', agentId, changerName: null, message: 'insert tape CAN001L9' },
  );
  await f.prisma.client.job.update({ where: { id: job.id }, data: { status: 'CANCELLED' } });
  const closed = await requests.closeAbandoned();
  assert.deepEqual(
    closed.map((r) => [r.id, r.status]),
    [[request.id, 'CANCELLED']],
  );
  assert.deepEqual(await requests.closeAbandoned(), []);
});

test('an inventory records drive and tape TapeAlerts, and brings an offsite tape back', async () => {
  const agentId = await f.register(libraryRequest('alert-agent', ['ALR001L9']));
  await f.prisma.client.tape.create({ data: { barcode: 'OFF001L9', generation: 9, capacityBytes: 18e12, state: 'OFFSITE', offsiteLocation: 'vault' } });
  const req = libraryRequest('alert-agent', ['ALR001L9', 'OFF001L9'], {
    loaded: { drive1: 'ALR001L9' },
    tapes: [{ barcode: 'ALR001L9', generation: 9, detailsKnown: true, formatted: true, alerts: ['MEDIA'] }],
  });
  req.drives[1].alerts = ['CLEAN_NOW'];
  await f.agents.applyInventory(agentId, parseRegistration(req));
  const drive = await f.prisma.client.drive.findFirstOrThrow({ where: { agentId, name: 'drive1' } });
  assert.deepEqual(drive.alerts, ['CLEAN_NOW']);
  const tape = await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'ALR001L9' } });
  assert.deepEqual(tape.alerts, ['MEDIA']);
  const back = await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'OFF001L9' } });
  assert.equal(back.state, 'SCRATCH', 'an offsite tape with no files comes back as scratch');
  assert.equal(back.offsiteLocation, null);
  assert.equal(back.agentId, agentId);
});

test('a job waiting for several tapes goes back to the dispatcher only when the last one is in', async () => {
  const agentId = await f.register(libraryRequest('multi-agent', []));
  const { job, requests: made } = await createJobWithRequests(
    { kind: 'RESTORE', agentId, priority: 100, spec: { tapes: [{ barcode: 'MUL001L9' }, { barcode: 'MUL002L9' }] } },
    ['MUL001L9', 'MUL002L9'].map((barcode) => ({ barcode, agentId, changerName: 'lib0', message: `insert tape ${barcode}` })),
  );
  assert.equal(made.length, 2);
  await f.agents.applyInventory(agentId, parseRegistration(libraryRequest('multi-agent', ['MUL001L9'])));
  assert.deepEqual(
    (await satisfy(agentId)).map((r) => r.barcode),
    ['MUL001L9'],
  );
  assert.ok(!(await queuedIds()).includes(job.id), 'still waiting for MUL002L9');
  await f.agents.applyInventory(agentId, parseRegistration(libraryRequest('multi-agent', ['MUL001L9', 'MUL002L9'])));
  assert.deepEqual(
    (await satisfy(agentId)).map((r) => r.barcode),
    ['MUL002L9'],
  );
  assert.ok((await queuedIds()).includes(job.id));
  assert.equal((await f.jobs.findById(job.id))!.queueReason, 'waiting for the dispatcher');
});

test('a tape an inventory no longer shows goes to the shelf and remembers the agent that held it', async () => {
  const agentId = await f.register(libraryRequest('last-agent', ['LST001L9', 'LST002L9']));
  await f.agents.applyInventory(agentId, parseRegistration(libraryRequest('last-agent', ['LST001L9'])));
  const gone = await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'LST002L9' } });
  assert.deepEqual([gone.agentId, gone.changerId, gone.slot, gone.lastAgentId], [null, null, null, agentId]);
  const kept = await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'LST001L9' } });
  assert.equal(kept.agentId, agentId);
});
