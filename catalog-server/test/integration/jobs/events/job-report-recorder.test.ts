import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { JobEventType, ReportJobEventRequest, type DeepPartial } from '@ferrite/proto';
import { FerriteError } from '../../../../src/common/errors.js';
import { decideJobEvent } from '../../../../src/modules/jobs/lifecycle/job-transitions.js';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../../catalog-fixture.js';

let f: CatalogFixture;
let agentId: string;
before(async () => {
  f = await createCatalogFixture('job_events');
  agentId = await f.register(libraryRequest('ev-agent', ['EVT001L9', 'EVT002L9']));
});
after(async () => {
  await f.close();
});

const report = (jobId: string, seq: number, type: JobEventType, over: DeepPartial<ReportJobEventRequest> = {}) => {
  const ev = ReportJobEventRequest.fromPartial<DeepPartial<ReportJobEventRequest>>({ agentId, jobId, attempt: 1, seq, type, message: `event ${seq}`, ...over });
  return f.events.recordAgentEvent(ev, (job) => decideJobEvent(job, ev, new Date()));
};
const eventCount = (jobId: string) => f.prisma.client.jobEvent.count({ where: { jobId } });

test('a re-sent event adds no row and changes nothing', async () => {
  const jobId = await f.job(agentId, 'FORMAT', 'ASSIGNED', { barcode: 'EVT001L9', force: false, pool: null });
  assert.equal((await report(jobId, 1, JobEventType.JOB_EVENT_TYPE_STARTED)).outcome, 'recorded');
  const progress = { bytesDone: 10, bytesTotal: 100, filesDone: 1, filesTotal: 10, currentFile: '/a', currentTape: 'EVT001L9' };
  assert.equal((await report(jobId, 2, JobEventType.JOB_EVENT_TYPE_PROGRESS, { progress })).outcome, 'recorded');
  const snapshot = await f.prisma.client.job.findUniqueOrThrow({ where: { id: jobId } });
  const rows = await eventCount(jobId);

  // The agent did not hear the answer and sends seq 1 and 2 again (with different content even).
  assert.equal((await report(jobId, 1, JobEventType.JOB_EVENT_TYPE_STARTED)).outcome, 'duplicate');
  const dup = await report(jobId, 2, JobEventType.JOB_EVENT_TYPE_PROGRESS, { progress: { ...progress, bytesDone: 99 } });
  assert.equal(dup.outcome, 'duplicate');
  assert.equal(await eventCount(jobId), rows);
  assert.deepEqual(await f.prisma.client.job.findUniqueOrThrow({ where: { id: jobId } }), snapshot);
  assert.equal(snapshot.status, 'RUNNING');
  assert.ok(snapshot.startedAt);
  assert.equal((snapshot.progress as { bytesDone: number }).bytesDone, 10);
});

test('COMPLETED of a format: job SUCCEEDED, tape formatted and empty; a re-send changes nothing', async () => {
  const jobId = await f.job(agentId, 'FORMAT', 'RUNNING', { barcode: 'EVT002L9', force: false, pool: null });
  const tape = { barcode: 'EVT002L9', capacityBytes: 18e12, usedBytes: 524288, volumeUuid: '3f2b8a4c-1d2e-4f60-9a7b-8c9d0e1f2a3b', formatted: true };
  const r = await report(jobId, 1, JobEventType.JOB_EVENT_TYPE_COMPLETED, { tape });
  assert.equal(r.outcome, 'recorded');
  const job = await f.prisma.client.job.findUniqueOrThrow({ where: { id: jobId } });
  assert.equal(job.status, 'SUCCEEDED');
  assert.ok(job.finishedAt);
  const t = await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'EVT002L9' } });
  assert.ok(t.formattedAt);
  assert.equal(t.state, 'SCRATCH');
  assert.equal(t.usedBytes, 524288n);
  assert.equal(t.volumeUuid, tape.volumeUuid);
  const rows = await eventCount(jobId);
  assert.equal((await report(jobId, 1, JobEventType.JOB_EVENT_TYPE_COMPLETED, { tape: { ...tape, usedBytes: 1 } })).outcome, 'duplicate');
  assert.equal(await eventCount(jobId), rows);
  assert.equal((await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'EVT002L9' } })).usedBytes, 524288n);
  // A late report after the end is logged but does not reopen the job.
  assert.equal((await report(jobId, 2, JobEventType.JOB_EVENT_TYPE_PROGRESS)).outcome, 'recorded');
  assert.equal((await f.prisma.client.job.findUniqueOrThrow({ where: { id: jobId } })).status, 'SUCCEEDED');
});

test("a report for another agent's job is refused and stores nothing", async () => {
  const other = await f.register(libraryRequest('ev-other', []));
  const jobId = await f.job(other, 'FORMAT', 'ASSIGNED');
  await assert.rejects(report(jobId, 1, JobEventType.JOB_EVENT_TYPE_STARTED), (err: unknown) => err instanceof FerriteError && err.code === 'JOB_NOT_OWNED');
  assert.equal(await eventCount(jobId), 0);
  assert.equal((await f.prisma.client.job.findUniqueOrThrow({ where: { id: jobId } })).status, 'ASSIGNED');
  assert.equal((await report(crypto.randomUUID(), 1, JobEventType.JOB_EVENT_TYPE_STARTED)).outcome, 'not-found');
});

test('a backup that reports its tape full leaves it FULL; a backup that does not leaves it ACTIVE', async () => {
  const spec = { barcode: 'EVT002L9', paths: ['/data'], excludes: [], level: 'FULL', pool: null, host: 'h', runIds: [] };
  const tape = { barcode: 'EVT002L9', capacityBytes: 1000, usedBytes: 10, volumeUuid: '', formatted: true };
  const state = async () => (await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'EVT002L9' } })).state;
  const written = await f.job(agentId, 'BACKUP', 'RUNNING', spec);
  await report(written, 1, JobEventType.JOB_EVENT_TYPE_COMPLETED, { tape });
  assert.equal(await state(), 'ACTIVE');
  const filled = await f.job(agentId, 'BACKUP', 'RUNNING', spec);
  await report(filled, 1, JobEventType.JOB_EVENT_TYPE_FAILED, { errorCode: 'TAPE_FULL', tape: { ...tape, usedBytes: 990, full: true } });
  assert.equal(await state(), 'FULL');
  assert.equal((await f.prisma.client.tape.findUniqueOrThrow({ where: { barcode: 'EVT002L9' } })).usedBytes, 990n);
});
