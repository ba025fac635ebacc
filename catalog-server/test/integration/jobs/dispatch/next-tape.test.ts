// NextTape on real PostgreSQL: a running backup's full tape becomes FULL and the next tape of its
// pool is named (a retry gets the same one), the spec lists every tape used, no tape means a reason
// and no change but a job WAITING_FOR_TAPE with an operator request (satisfied, and the job RUNNING
// again, when a tape comes), and reports about the wrong tape, job, agent or attempt are refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { loadServerConfig } from '../../../../src/config/config.js';
import { chooseDriveFor } from '../../../../src/modules/jobs/dispatch/dispatcher.service.js';
import { NextTapeService } from '../../../../src/modules/jobs/dispatch/next-tape.service.js';
import { JobEventType, ReportJobEventRequest } from '@ferrite/proto';
import { parseJobSpec } from '../../../../src/modules/jobs/lifecycle/job-spec.js';
import { decideJobEvent } from '../../../../src/modules/jobs/lifecycle/job-transitions.js';
import { JobsWaitingService } from '../../../../src/modules/jobs/lifecycle/jobs-waiting.service.js';
import { OperatorRequestUpdatesPubSub } from '../../../../src/modules/operator-requests/operator-request-updates.pubsub.js';
import { OperatorRequestsRepository } from '../../../../src/modules/operator-requests/operator-requests.repository.js';
import { OperatorRequestsService } from '../../../../src/modules/operator-requests/operator-requests.service.js';
import { TapesRepository } from '../../../../src/modules/tapes/tapes.repository.js';
import { rejectionCode } from '../../../support/error-codes.js';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../../catalog-fixture.js';

let f: CatalogFixture;
let service: NextTapeService;
before(async () => {
  f = await createCatalogFixture('next_tape');
  const config = loadServerConfig({});
  const log = pino({ level: 'silent' });
  const requestRows = new OperatorRequestsRepository(f.prisma);
  const waiting = new JobsWaitingService(f.prisma, f.jobs, requestRows, new OperatorRequestsService(requestRows, new OperatorRequestUpdatesPubSub(), log));
  service = new NextTapeService(f.prisma, f.jobs, f.jobLog, f.dispatch, new TapesRepository(f.prisma), waiting, config, log);
});
after(async () => {
  await f.close();
});

const backupSpec = {
  tapeChosenAtDispatch: true,
  paths: ['/data'],
  excludes: [],
  level: 'FULL',
  pool: 'np',
  host: 'h',
  runIds: [],
  smallFileThreshold: 1,
  bundleTargetBytes: 1,
  checkpointBytes: 1,
  checkpointFiles: 1,
};

const tapeState = async (barcode: string) => (await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode } })).state;

test('a full tape becomes FULL, the next tape of the pool is named once, and wrong reports change nothing', async () => {
  const agent = await f.register(libraryRequest('nt-agent', ['NXT001L9', 'NXT002L9', 'NXT003L9'], { drives: 1 }));
  const other = await f.register(libraryRequest('nt-other', []));
  await f.prisma.client.pool.create({ data: { name: 'np' } });
  for (const barcode of ['NXT001L9', 'NXT002L9'])
    await f.prisma.client.tape.update({ where: { barcode }, data: { formattedAt: new Date(), state: 'SCRATCH' } });
  const id = await f.job(agent, 'BACKUP', 'QUEUED', backupSpec);
  const assigned = await f.assignment.tryAssign(id, { owner: 't', expiresAt: new Date(Date.now() + 60_000) }, chooseDriveFor);
  assert.equal(assigned.outcome, 'assigned');
  await f.prisma.client.job.update({ where: { id }, data: { status: 'RUNNING' } });
  const first = parseJobSpec('BACKUP', (await f.jobs.findById(id))!.spec).barcode!;
  const second = first === 'NXT001L9' ? 'NXT002L9' : 'NXT001L9';
  const full = (barcode: string) => ({ barcode, capacityBytes: 1000, usedBytes: 995, volumeUuid: '', formatted: true, full: true });
  const req = { agentId: agent, jobId: id, attempt: 1, copy: 1, fullTape: full(first) };

  // Refused, and nothing changes: another agent, an old attempt, a tape the job does not write, a copy it has not.
  assert.equal(await rejectionCode(service.nextTape({ ...req, agentId: other })), 'JOB_NOT_OWNED');
  assert.equal(await rejectionCode(service.nextTape({ ...req, attempt: 2 })), 'STALE_ATTEMPT');
  assert.equal(await rejectionCode(service.nextTape({ ...req, fullTape: full('NXT003L9') })), 'INVALID_EVENT');
  assert.equal(await rejectionCode(service.nextTape({ ...req, copy: 2 })), 'INVALID_EVENT');
  assert.equal(await tapeState(first), 'SCRATCH');

  assert.deepEqual(await service.nextTape(req), { barcode: second, waitReason: '' });
  assert.equal(await tapeState(first), 'FULL');
  // The answer was lost and the agent asks again: the same tape, nothing more changes.
  assert.deepEqual(await service.nextTape(req), { barcode: second, waitReason: '' });
  const spec = parseJobSpec('BACKUP', (await f.jobs.findById(id))!.spec);
  assert.equal(spec.barcode, second);
  assert.deepEqual(
    spec.spanned?.map((t) => t.barcode),
    [first, second],
  );

  // The second tape fills too, and no formatted tape is left: a reason, the job keeps its tape and
  // waits WAITING_FOR_TAPE with one request saying what to insert where (asking again adds none).
  const wait = await service.nextTape({ ...req, fullTape: full(second) });
  assert.equal(wait.barcode, '');
  assert.match(wait.waitReason, /no scratch tape in pool np on agent nt-agent/);
  assert.equal(parseJobSpec('BACKUP', (await f.jobs.findById(id))!.spec).barcode, second);
  assert.equal(await tapeState(second), 'FULL');
  await service.nextTape({ ...req, fullTape: full(second) });
  const waiting = await f.jobs.findById(id);
  assert.equal(waiting!.status, 'WAITING_FOR_TAPE');
  assert.match(waiting!.queueReason ?? '', /^waiting for a tape: no scratch tape in pool np/);
  const open = await f.prisma.client.operatorRequest.findMany({ where: { jobId: id } });
  assert.equal(open.length, 1);
  assert.equal(open[0].status, 'OPEN');
  assert.equal(open[0].barcode, null);
  assert.equal(open[0].pool, 'np');
  assert.equal(open[0].copy, 1);
  assert.match(open[0].message, new RegExp(`^insert a scratch tape of pool np .*into library \\S+ \\(drive \\S+\\) on host \\S+ .*for backup ${id}$`));
  // Heartbeats while it waits keep it waiting (and its lease alive).
  const progress = { bytesDone: 10, bytesTotal: 100, filesDone: 1, filesTotal: 10, currentFile: '/data/a', currentTape: second };
  const beat = ReportJobEventRequest.fromPartial({ agentId: agent, jobId: id, attempt: 1, seq: 900, type: JobEventType.JOB_EVENT_TYPE_PROGRESS, progress });
  assert.equal((await f.events.recordAgentEvent(beat, (job) => decideJobEvent(job, beat, new Date()))).outcome, 'recorded');
  assert.equal((await f.jobs.findById(id))!.status, 'WAITING_FOR_TAPE');

  // A tape is formatted: the next ask gets it, the request is satisfied and the job runs again.
  await f.prisma.client.tape.update({ where: { barcode: 'NXT003L9' }, data: { formattedAt: new Date(), state: 'SCRATCH' } });
  assert.deepEqual(await service.nextTape({ ...req, fullTape: full(second) }), { barcode: 'NXT003L9', waitReason: '' });
  assert.equal((await f.jobs.findById(id))!.status, 'RUNNING');
  assert.equal((await f.jobs.findById(id))!.queueReason, null);
  assert.equal((await f.prisma.client.operatorRequest.findUniqueOrThrow({ where: { id: open[0].id } })).status, 'SATISFIED');
  const events = await f.prisma.client.jobEvent.findMany({ where: { jobId: id, type: 'TAPE_CHOSEN' }, orderBy: { id: 'asc' } });
  assert.deepEqual(
    events.map((e) => e.message).filter((m) => m.includes('is full')),
    [`tape ${first} is full; continuing on ${second}`, `tape ${second} is full; continuing on NXT003L9`],
  );
});
