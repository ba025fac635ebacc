import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobEventType, ReportJobEventRequest, type DeepPartial } from '@ferrite/proto';
import { FerriteError } from '../../../../src/common/errors.js';
import { averageRate, decideJobEvent, jobChangesOf, type JobForEvent } from '../../../../src/modules/jobs/lifecycle/job-transitions.js';

const AGENT = '11111111-1111-1111-1111-111111111111';
const job = (over: Partial<JobForEvent> = {}): JobForEvent => ({
  id: '22222222-2222-2222-2222-222222222222',
  kind: 'FORMAT',
  status: 'ASSIGNED',
  attempt: 1,
  agentId: AGENT,
  startedAt: null,
  spec: { barcode: 'FER001L9', force: false, pool: 'p' },
  ...over,
});
const ev = (type: JobEventType, over: DeepPartial<ReportJobEventRequest> = {}) =>
  ReportJobEventRequest.fromPartial<DeepPartial<ReportJobEventRequest>>({ agentId: AGENT, jobId: job().id, attempt: 1, seq: 1, type, ...over });
const now = new Date('2026-11-23T12:00:00Z');

test('ACKNOWLEDGED and STARTED move an assigned job to RUNNING once', () => {
  const d = decideJobEvent(job(), ev(JobEventType.JOB_EVENT_TYPE_ACKNOWLEDGED), now);
  assert.equal(d.type, 'ACKNOWLEDGED');
  assert.equal(d.status, 'RUNNING');
  assert.deepEqual(d.startedAt, now);
  const again = decideJobEvent(job({ status: 'RUNNING', startedAt: now }), ev(JobEventType.JOB_EVENT_TYPE_STARTED, { seq: 2 }), now);
  assert.equal(again.startedAt, undefined);
});

test('terminal events end the job; FAILED keeps the code and message', () => {
  assert.equal(decideJobEvent(job({ status: 'RUNNING' }), ev(JobEventType.JOB_EVENT_TYPE_COMPLETED), now).status, 'SUCCEEDED');
  const failed = decideJobEvent(job({ status: 'RUNNING' }), ev(JobEventType.JOB_EVENT_TYPE_FAILED, { errorCode: 'MEDIUM_ERROR', message: 'bad block' }), now);
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.errorCode, 'MEDIUM_ERROR');
  assert.equal(failed.errorMessage, 'bad block');
  assert.equal(failed.level, 'error');
  assert.equal(decideJobEvent(job({ status: 'RUNNING' }), ev(JobEventType.JOB_EVENT_TYPE_CANCELLED), now).status, 'CANCELLED');
});

test('ended jobs are not moved by late reports; LOG never moves a job', () => {
  const late = decideJobEvent(job({ status: 'CANCELLED' }), ev(JobEventType.JOB_EVENT_TYPE_PROGRESS, { progress: { bytesDone: 5 } }), now);
  assert.equal(late.status, undefined);
  assert.equal(late.progress, undefined);
  const log = decideJobEvent(job({ status: 'RUNNING' }), ev(JobEventType.JOB_EVENT_TYPE_LOG, { level: 'warn', message: 'slow' }), now);
  assert.equal(log.status, undefined);
  assert.equal(log.level, 'warn');
});

test('a backup waiting for its next tape keeps waiting through heartbeats, with its lease renewed; a tape change or an end moves it', () => {
  const waiting = job({ kind: 'BACKUP', status: 'WAITING_FOR_TAPE', startedAt: now, spec: {} });
  const beat = decideJobEvent(waiting, ev(JobEventType.JOB_EVENT_TYPE_PROGRESS), now);
  assert.equal(beat.status, 'WAITING_FOR_TAPE');
  const lease = new Date(now.getTime() + 60_000);
  assert.deepEqual(jobChangesOf(waiting, beat, lease).leaseExpiresAt, lease);
  assert.equal(decideJobEvent(waiting, ev(JobEventType.JOB_EVENT_TYPE_TAPE_CHANGED), now).status, 'RUNNING');
  assert.equal(decideJobEvent(waiting, ev(JobEventType.JOB_EVENT_TYPE_FAILED, { errorCode: 'TAPE_FULL' }), now).status, 'FAILED');
  assert.equal(decideJobEvent(waiting, ev(JobEventType.JOB_EVENT_TYPE_CANCELLED), now).status, 'CANCELLED');
});

test('an INTERRUPTED job whose agent reports again is RUNNING again', () => {
  assert.equal(decideJobEvent(job({ status: 'INTERRUPTED' }), ev(JobEventType.JOB_EVENT_TYPE_PROGRESS), now).status, 'RUNNING');
});

test('reports from another agent, an old attempt, or with a bad seq/type are refused', () => {
  const codeOf = (j: JobForEvent, e: ReportJobEventRequest) => {
    try {
      decideJobEvent(j, e, now);
    } catch (err) {
      assert.ok(err instanceof FerriteError);
      return err.code;
    }
    return 'accepted';
  };
  assert.equal(codeOf(job({ agentId: '33333333-3333-3333-3333-333333333333' }), ev(JobEventType.JOB_EVENT_TYPE_STARTED)), 'JOB_NOT_OWNED');
  assert.equal(codeOf(job({ attempt: 2 }), ev(JobEventType.JOB_EVENT_TYPE_STARTED)), 'STALE_ATTEMPT');
  assert.equal(codeOf(job(), ev(JobEventType.JOB_EVENT_TYPE_STARTED, { seq: 0 })), 'INVALID_EVENT');
  assert.equal(codeOf(job(), ev(JobEventType.JOB_EVENT_TYPE_UNSPECIFIED)), 'INVALID_EVENT');
});

test('a completed format reformats its tape and puts it in the pool; a backup marks it written, and full when it says so', () => {
  const tape = { barcode: 'FER001L9', capacityBytes: 100, usedBytes: 1, volumeUuid: 'AAAAAAAA-0000-4000-8000-000000000000', formatted: true };
  const f = decideJobEvent(job({ status: 'RUNNING' }), ev(JobEventType.JOB_EVENT_TYPE_COMPLETED, { tape }), now);
  assert.equal(f.tape?.reformatted, true);
  assert.equal(f.tape?.pool, 'p');
  assert.equal(f.tape?.volumeUuid, 'aaaaaaaa-0000-4000-8000-000000000000');
  const failedFormat = decideJobEvent(job({ status: 'RUNNING' }), ev(JobEventType.JOB_EVENT_TYPE_FAILED, { tape: { ...tape, formatted: false } }), now);
  assert.equal(failedFormat.tape?.reformatted, false);
  const b = decideJobEvent(job({ kind: 'BACKUP', status: 'RUNNING' }), ev(JobEventType.JOB_EVENT_TYPE_COMPLETED, { tape }), now);
  assert.equal(b.tape?.written, true);
  assert.equal(b.tape?.reformatted, false);
  assert.equal(b.tape?.full, false);
  // A backup that left its tape at early warning or end of medium says so: the tape becomes FULL.
  const full = decideJobEvent(job({ kind: 'BACKUP', status: 'RUNNING' }), ev(JobEventType.JOB_EVENT_TYPE_FAILED, { tape: { ...tape, full: true } }), now);
  assert.equal(full.tape?.full, true);
  // Only a backup can: a format or a verify reporting it changes no state.
  assert.equal(decideJobEvent(job({ status: 'RUNNING' }), ev(JobEventType.JOB_EVENT_TYPE_COMPLETED, { tape: { ...tape, full: true } }), now).tape?.full, false);
});

test('average rate needs a start and at least a second', () => {
  const started = new Date('2026-11-23T12:00:00Z');
  assert.equal(averageRate({ bytesDone: 1000, at: '2026-11-23T12:00:10Z' }, started), 100);
  assert.equal(averageRate({ bytesDone: 1000, at: '2026-11-23T12:00:00.5Z' }, started), null);
  assert.equal(averageRate(null, started), null);
});
