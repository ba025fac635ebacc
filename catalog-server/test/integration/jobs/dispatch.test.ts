import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandsResponse } from '@ferrite/proto';
import { pino } from 'pino';
import { loadServerConfig } from '../../../src/config/config.js';
import { AgentSessionsRegistry } from '../../../src/modules/agents/agent-sessions.registry.js';
import { chooseDriveFor, DispatcherService } from '../../../src/modules/jobs/dispatcher.service.js';
import { JobUpdatesPubSub } from '../../../src/modules/jobs/job-updates.pubsub.js';
import { createCatalogFixture, libraryRequest, type CatalogFixture } from '../catalog-fixture.js';

let f: CatalogFixture;
before(async () => {
  f = await createCatalogFixture('dispatch');
});
after(async () => {
  await f.close();
});

const lease = () => ({ owner: 'test', expiresAt: new Date(Date.now() + 60_000) });

test('concurrent assignment of one job: exactly one wins', async () => {
  const agent = await f.register(libraryRequest('d-one', ['DSP001L9'], { drives: 2 }));
  const job = await f.job(agent, 'FORMAT', 'QUEUED', { barcode: 'DSP001L9', force: false, pool: null });
  const results = await Promise.all(Array.from({ length: 8 }, () => f.dispatch.tryAssign(job, lease(), chooseDriveFor)));
  assert.equal(results.filter((r) => r.outcome === 'assigned').length, 1);
  const row = await f.prisma.client.job.findUniqueOrThrow({ where: { id: job } });
  assert.equal(row.status, 'ASSIGNED');
  assert.ok(row.driveId);
  assert.equal(row.leaseOwner, 'test');
  assert.equal(await f.prisma.client.jobEvent.count({ where: { jobId: job, type: 'ASSIGNED' } }), 1);
});

test('two jobs racing for the only drive: one runs, the other waits with a reason', async () => {
  const agent = await f.register(libraryRequest('d-race', ['DSP002L9', 'DSP003L9'], { drives: 1 }));
  const a = await f.job(agent, 'FORMAT', 'QUEUED', { barcode: 'DSP002L9', force: false, pool: null });
  const b = await f.job(agent, 'FORMAT', 'QUEUED', { barcode: 'DSP003L9', force: false, pool: null });
  const [ra, rb] = await Promise.all([f.dispatch.tryAssign(a, lease(), chooseDriveFor), f.dispatch.tryAssign(b, lease(), chooseDriveFor)]);
  const outcomes = [ra.outcome, rb.outcome].sort();
  assert.deepEqual(outcomes, ['assigned', 'waiting']);
  const waiting = ra.outcome === 'waiting' ? a : b;
  const row = await f.prisma.client.job.findUniqueOrThrow({ where: { id: waiting } });
  assert.equal(row.status, 'QUEUED');
  assert.equal(row.queueReason, 'the only drive of d-race is busy');
});

test('two dispatchers (two server replicas) dispatching at once send each job once', async () => {
  const agent = await f.register(libraryRequest('d-replicas', ['DSP004L9', 'DSP005L9', 'DSP006L9'], { drives: 3 }));
  const jobs = await Promise.all(['DSP004L9', 'DSP005L9', 'DSP006L9'].map((barcode) => f.job(agent, 'FORMAT', 'QUEUED', { barcode, force: true, pool: null })));
  const sent: CommandsResponse[] = [];
  const config = loadServerConfig({});
  const logger = pino({ level: 'silent' });
  const dispatchers = [0, 1, 2].map(() => {
    const sessions = new AgentSessionsRegistry();
    sessions.attach(agent, 's', { write: (m) => (sent.push(m), true), end: () => {} });
    return new DispatcherService(f.dispatch, f.jobs, sessions, new JobUpdatesPubSub(), config, logger);
  });
  await Promise.all(dispatchers.flatMap((d) => [d.dispatchOnce(), d.dispatchOnce()]));
  // Leftovers skipped by a lock in one pass are picked up by the next.
  await Promise.all(dispatchers.map((d) => d.dispatchOnce()));
  const assignedIds = sent.map((m) => m.assignJob!.jobId).sort();
  assert.deepEqual(assignedIds, [...jobs].sort());
  const drives = (await f.prisma.client.job.findMany({ where: { id: { in: jobs } } })).map((j) => j.driveId);
  assert.equal(new Set(drives).size, 3, 'each job on its own drive');
});

test('a job whose agent has no stream waits with a reason', async () => {
  const agent = await f.register(libraryRequest('d-offline', ['DSP007L9']));
  await f.prisma.client.agent.update({ where: { id: agent }, data: { online: false } });
  const job = await f.job(agent, 'FORMAT', 'QUEUED', { barcode: 'DSP007L9', force: false, pool: null });
  const d = new DispatcherService(f.dispatch, f.jobs, new AgentSessionsRegistry(), new JobUpdatesPubSub(), loadServerConfig({}), pino({ level: 'silent' }));
  await d.dispatchOnce();
  const row = await f.prisma.client.job.findUniqueOrThrow({ where: { id: job } });
  assert.equal(row.status, 'QUEUED');
  assert.equal(row.queueReason, 'agent d-offline is offline');
});
