// NextTape on real PostgreSQL: a running backup's full tape becomes FULL and the next tape of its
// pool is named (a retry gets the same one), the spec lists every tape used, no tape means a reason
// and no change, and reports about the wrong tape, job, agent or attempt are refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { loadServerConfig } from '../../../../src/config/config.js';
import { chooseDriveFor } from '../../../../src/modules/jobs/dispatch/dispatcher.service.js';
import { NextTapeService } from '../../../../src/modules/jobs/dispatch/next-tape.service.js';
import { parseJobSpec } from '../../../../src/modules/jobs/lifecycle/job-spec.js';
import { TapesRepository } from '../../../../src/modules/tapes/tapes.repository.js';
import { rejectionCode } from '../../../support/error-codes.js';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../../catalog-fixture.js';

let f: CatalogFixture;
let service: NextTapeService;
before(async () => {
  f = await createCatalogFixture('next_tape');
  const config = loadServerConfig({});
  service = new NextTapeService(f.prisma, f.jobs, f.jobLog, f.dispatch, new TapesRepository(f.prisma), config, pino({ level: 'silent' }));
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
  const full = (barcode: string) => ({ barcode, capacityBytes: 1000, usedBytes: 995, volumeUuid: '', formatted: true });
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

  // The second tape fills too, and no formatted tape is left: a reason, and the job keeps its tape.
  const wait = await service.nextTape({ ...req, fullTape: full(second) });
  assert.equal(wait.barcode, '');
  assert.match(wait.waitReason, /no scratch tape in pool np on agent nt-agent/);
  assert.equal(parseJobSpec('BACKUP', (await f.jobs.findById(id))!.spec).barcode, second);
  assert.equal(await tapeState(second), 'FULL');

  // A tape is formatted: the next ask gets it.
  await f.prisma.client.tape.update({ where: { barcode: 'NXT003L9' }, data: { formattedAt: new Date(), state: 'SCRATCH' } });
  assert.deepEqual(await service.nextTape({ ...req, fullTape: full(second) }), { barcode: 'NXT003L9', waitReason: '' });
  const events = await f.prisma.client.jobEvent.findMany({ where: { jobId: id, type: 'TAPE_CHOSEN' }, orderBy: { id: 'asc' } });
  assert.deepEqual(
    events.map((e) => e.message).filter((m) => m.includes('is full')),
    [`tape ${first} is full; continuing on ${second}`, `tape ${second} is full; continuing on NXT003L9`],
  );
});
