import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../../catalog-fixture.js';

let f: CatalogFixture;
let agentId: string;
before(async () => {
  f = await createCatalogFixture('jobs_repo');
  agentId = await f.register(libraryRequest('job-agent', ['JOB001L9']));
});
after(async () => {
  await f.close();
});

const reachable = () => true;
const unreachable = () => false;
const snapshot = async (id: string) => ({
  job: await f.prisma.client.job.findUniqueOrThrow({ where: { id } }),
  events: await f.prisma.client.jobEvent.count({ where: { jobId: id } }),
});

test('cancelling a finished job changes nothing', async () => {
  for (const status of ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const) {
    const id = await f.job(agentId, 'FORMAT', status);
    const before = await snapshot(id);
    const r = await f.lifecycle.cancel(id, 'test', reachable);
    assert.equal(r.outcome, 'finished');
    assert.deepEqual(await snapshot(id), before);
  }
  assert.equal((await f.lifecycle.cancel(crypto.randomUUID(), 'test', reachable)).outcome, 'not-found');
});

test('queued jobs are cancelled at once; running ones get one cancel request', async () => {
  const queued = await f.job(agentId, 'FORMAT', 'QUEUED');
  const q = await f.lifecycle.cancel(queued, 'test', reachable);
  assert.equal(q.outcome, 'cancelled');
  assert.equal((await snapshot(queued)).job.status, 'CANCELLED');

  const running = await f.job(agentId, 'FORMAT', 'RUNNING');
  const r1 = await f.lifecycle.cancel(running, 'test', reachable);
  const r2 = await f.lifecycle.cancel(running, 'test', reachable);
  assert.equal(r1.outcome, 'requested');
  assert.equal(r2.outcome, 'requested');
  const s = await snapshot(running);
  assert.equal(s.job.status, 'RUNNING');
  assert.equal(await f.prisma.client.jobEvent.count({ where: { jobId: running, type: 'CANCEL_REQUESTED' } }), 1);

  const orphan = await f.job(agentId, 'FORMAT', 'RUNNING');
  assert.equal((await f.lifecycle.cancel(orphan, 'test', unreachable)).outcome, 'cancelled');
  assert.equal((await snapshot(orphan)).job.status, 'CANCELLED');
});

test('idempotency key: the second create returns the first job', async () => {
  const input = { kind: 'BACKUP' as const, agentId, priority: 10, spec: { barcode: 'JOB001L9' }, idempotencyKey: 'nightly-2026-11-23' };
  const [a, b] = await Promise.all([f.jobs.create(input), f.jobs.create(input)]);
  assert.equal(a.job.id, b.job.id);
  assert.deepEqual([a.created, b.created].sort(), [false, true]);
  assert.equal(await f.prisma.client.job.count({ where: { idempotencyKey: 'nightly-2026-11-23' } }), 1);
});

test('liveness: lost jobs are requeued (never started) or interrupted; reported ones keep their lease', async () => {
  const agent = await f.register(libraryRequest('live-agent', []));
  const assigned = await f.job(agent, 'FORMAT', 'ASSIGNED');
  const running = await f.job(agent, 'FORMAT', 'RUNNING');
  const alive = await f.job(agent, 'FORMAT', 'RUNNING');
  const future = new Date(Date.now() + 60_000);
  const changed = await f.lifecycle.reconcileAgentJobs(agent, [alive], future, future);
  assert.deepEqual(changed.sort(), [assigned, running].sort());
  assert.equal((await snapshot(assigned)).job.status, 'QUEUED');
  assert.equal((await snapshot(running)).job.status, 'INTERRUPTED');
  const a = (await snapshot(alive)).job;
  assert.equal(a.status, 'RUNNING');
  assert.deepEqual(a.leaseExpiresAt, future);

  // Recently changed jobs are left alone (the agent may not have listed them yet).
  const fresh = await f.job(agent, 'FORMAT', 'ASSIGNED');
  assert.deepEqual(await f.lifecycle.reconcileAgentJobs(agent, [], new Date(Date.now() - 60_000), future), []);
  assert.equal((await snapshot(fresh)).job.status, 'ASSIGNED');

  const interrupted = await f.lifecycle.interruptJobsOfAgents([agent], 'agent went away');
  assert.deepEqual(interrupted.sort(), [alive, fresh].sort());
  assert.equal((await snapshot(alive)).job.status, 'INTERRUPTED');
  assert.equal((await snapshot(alive)).job.errorCode, 'AGENT_LOST');
});

test('the agent is back: its interrupted backups are queued again as the next attempt, from the last checkpoint', async () => {
  const agent = await f.register(libraryRequest('back-agent', []));
  const backup = await f.job(agent, 'BACKUP', 'INTERRUPTED', { barcode: 'JOB001L9', paths: ['/src'] });
  const fresh = await f.job(agent, 'BACKUP', 'INTERRUPTED', { barcode: 'JOB001L9', paths: ['/src'] });
  const stillRunning = await f.job(agent, 'BACKUP', 'INTERRUPTED', { barcode: 'JOB001L9', paths: ['/src'] });
  const restore = await f.job(agent, 'RESTORE', 'INTERRUPTED');
  const worn = await f.job(agent, 'BACKUP', 'INTERRUPTED', { barcode: 'JOB001L9', paths: ['/src'] });
  await f.prisma.client.job.update({ where: { id: worn }, data: { attempt: 5 } });
  await f.prisma.client.ingestBatch.createMany({
    data: [
      { jobId: backup, attempt: 1, batchSeq: 1n, fileCount: 5000, manifest: `ferrite/manifests/${backup}-000001.jsonl` },
      { jobId: backup, attempt: 1, batchSeq: 2n, fileCount: 1200, manifest: `ferrite/manifests/${backup}-000002.jsonl` },
    ],
  });

  const resumed = await f.lifecycle.resumeInterruptedBackups(agent, [stillRunning]);
  assert.deepEqual(resumed.sort(), [backup, fresh].sort(), 'only backups the agent does not run, with attempts left');
  const b = (await snapshot(backup)).job;
  assert.deepEqual([b.status, b.attempt, b.errorCode, b.driveId, b.leaseExpiresAt], ['QUEUED', 2, null, null, null]);
  const line = await f.prisma.client.jobEvent.findFirstOrThrow({ where: { jobId: backup, type: 'RESUMED' } });
  assert.equal(line.attempt, 2);
  assert.match(line.message, new RegExp(`resuming from checkpoint 2 of attempt 1 \\(ferrite/manifests/${backup}-000002.jsonl\\); 6200 confirmed entries`));
  assert.match((await f.prisma.client.jobEvent.findFirstOrThrow({ where: { jobId: fresh, type: 'RESUMED' } })).message, /starts from the beginning/);
  for (const id of [stillRunning, restore]) assert.equal((await snapshot(id)).job.status, 'INTERRUPTED');
  const w = (await snapshot(worn)).job;
  assert.deepEqual([w.status, w.attempt, w.errorCode], ['INTERRUPTED', 5, 'ATTEMPTS_EXHAUSTED']);

  // Settled: a second beat changes nothing (no second NOT_RESUMED line either).
  const before = await snapshot(worn);
  assert.deepEqual(await f.lifecycle.resumeInterruptedBackups(agent, [stillRunning]), []);
  assert.deepEqual(await snapshot(worn), before);
});
