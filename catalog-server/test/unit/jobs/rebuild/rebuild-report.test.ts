import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRebuildLabel, rebuiltJob } from '../../../../src/modules/jobs/rebuild/rebuild-report.js';
import { thrownCode } from '../../../support/error-codes.js';

const JOB = '8d3e4f3a-1c2b-4d5e-8f90-123456789abc';
const RUN = '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed';
const BASE = '6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b';
const at = new Date('2026-01-02T03:04:05.000Z');
let n = 0;
const newId = () => `new-${++n}`;

test('a label gives the barcode, volume, format time and pool', () => {
  const label = parseRebuildLabel(
    JSON.stringify({ format: 'ferrite', barcode: 'T1', volumeUuid: 'AAAAAAAA-1C2B-4D5E-8F90-123456789ABC', pool: 'vault', createdAt: at.toISOString() }),
  );
  assert.deepEqual(label, { barcode: 'T1', volumeUuid: 'aaaaaaaa-1c2b-4d5e-8f90-123456789abc', createdAt: at, pool: 'vault' });
  assert.deepEqual(parseRebuildLabel('{"format":"ferrite","barcode":"T1","pool":null}'), { barcode: 'T1', volumeUuid: null, createdAt: null, pool: null });
  assert.equal(
    thrownCode(() => parseRebuildLabel('{"barcode":"T1"}')),
    'INVALID_REBUILD_REPORT',
  );
  assert.equal(
    thrownCode(() => parseRebuildLabel('nope')),
    'INVALID_REBUILD_REPORT',
  );
});

test('a header gives the runs as the backup had them', () => {
  const header = JSON.stringify({
    v: 1,
    job: JOB,
    attempt: 1,
    host: 'ws-1',
    startedAt: at.toISOString(),
    runs: [
      { id: RUN, root: '/srv', level: 'INCREMENTAL', baseRunId: BASE },
      { id: '', root: '/etc', level: 'FULL', baseRunId: null },
    ],
    tapes: ['T1'],
  });
  const job = rebuiltJob(JOB, header, 'ignored', newId, new Date(0));
  assert.equal(job.host, 'ws-1');
  assert.deepEqual(job.startedAt, at);
  assert.deepEqual(job.runs, [
    { id: RUN, root: '/srv', level: 'INCREMENTAL', baseRunId: BASE, startedAt: at },
    { id: 'new-1', root: '/etc', level: 'FULL', baseRunId: null, startedAt: at },
  ]);
  assert.equal(
    thrownCode(() => rebuiltJob(JOB, header.replace(JOB, RUN), '', newId, at)),
    'INVALID_REBUILD_REPORT',
  );
  assert.equal(
    thrownCode(() => rebuiltJob(JOB, header.replace('"/srv"', '"srv"'), '', newId, at)),
    'INVALID_REBUILD_REPORT',
  );
  assert.equal(
    thrownCode(() => rebuiltJob(JOB, '{', '', newId, at)),
    'INVALID_REBUILD_REPORT',
  );
});

test('a tape without headers gives one FULL run rooted at "/" (every manifest of the job fits under it)', () => {
  const job = rebuiltJob(JOB, '', 'ws-2', newId, at);
  assert.deepEqual(job, { host: 'ws-2', startedAt: at, runs: [{ id: 'new-2', root: '/', level: 'FULL', baseRunId: null, startedAt: at }] });
  assert.equal(
    thrownCode(() => rebuiltJob(JOB, '', '', newId, at)),
    'INVALID_REBUILD_REPORT',
  );
});
