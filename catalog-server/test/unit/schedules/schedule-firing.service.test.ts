// Firing with in-memory collaborators: the claim decides who starts the backup, the job gets a key
// derived from (schedule, instant), refusals are recorded instead of thrown.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { FerriteError } from '../../../src/common/errors.js';
import { ScheduleFiringService, scheduleIdempotencyKey } from '../../../src/modules/schedules/schedule-firing.service.js';
import { SchedulesService } from '../../../src/modules/schedules/schedules.service.js';
import { FakeClock, FakeSchedulesRepository, FakeTimers, fakeAgents, fakePools, silentLogger } from './fakes.js';

class FakeJobs {
  constructor(private readonly repo?: FakeSchedulesRepository) {}
  calls: Record<string, unknown>[] = [];
  failWith: FerriteError | Error | null = null;
  /** What the created job looks like: QUEUED with a reason when it has to wait (e.g. for a tape). */
  created: { status: string; queueReason: string | null } = { status: 'QUEUED', queueReason: 'waiting for the dispatcher' };
  async startBackup(input: Record<string, unknown>) {
    this.calls.push(input);
    if (this.failWith) throw this.failWith;
    const id = `job-${this.calls.length}`;
    this.repo?.jobsByKey.set(String(input.idempotencyKey), id);
    return { id, ...this.created };
  }
}

describe('ScheduleFiringService', () => {
  let repo: FakeSchedulesRepository;
  let jobs: FakeJobs;
  let clock: FakeClock;
  let scheduleId: string;
  const T = new Date('2026-03-29T01:00:00.000Z'); // 03:00 CEST: the shifted 02:30 of spring-forward night

  beforeEach(async () => {
    repo = new FakeSchedulesRepository();
    jobs = new FakeJobs(repo);
    clock = new FakeClock(new Date('2026-03-29T01:00:00.010Z'));
    const schedules = new SchedulesService(repo as never, fakeAgents as never, fakePools as never, new FakeTimers() as never, clock);
    scheduleId = (
      await schedules.create({
        name: 'nightly',
        cron: '30 2 * * *',
        timeZone: 'Europe/Berlin',
        agent: 'host-a',
        paths: ['/data'],
        excludes: ['*.tmp'],
        pool: 'weekly',
      })
    ).id;
  });

  const replica = () => new ScheduleFiringService(repo as never, jobs as never, clock, silentLogger as never);

  it("starts one backup with the schedule's spec and a key made of (schedule, instant)", async () => {
    const out = await replica().fire(scheduleId, T);
    assert.deepEqual(out, { outcome: 'started', jobId: 'job-1', note: null });
    assert.deepEqual(jobs.calls, [
      {
        agent: 'host-a',
        paths: ['/data'],
        excludes: ['*.tmp'],
        pool: 'weekly',
        level: 'FULL',
        idempotencyKey: `schedule:${scheduleId}:2026-03-29T01:00:00.000Z`,
      },
    ]);
    assert.equal(scheduleIdempotencyKey(scheduleId, T), `schedule:${scheduleId}:2026-03-29T01:00:00.000Z`);
    assert.equal(repo.firings[0].jobId, 'job-1');
    assert.equal((await repo.findById(scheduleId))!.lastFiredAt?.toISOString(), T.toISOString());
  });

  it('lets only the replica that claims the instant go on', async () => {
    const [a, b] = await Promise.all([replica().fire(scheduleId, T), replica().fire(scheduleId, T)]);
    assert.deepEqual([a.outcome, b.outcome].sort(), ['skipped', 'started']);
    assert.equal(jobs.calls.length, 1);
  });

  it('starts no second job while the job of an earlier instant is unfinished, and records why', async () => {
    const nextNight = new Date('2026-03-30T00:30:00.000Z');
    const nightAfter = new Date('2026-03-31T00:30:00.000Z');
    assert.equal((await replica().fire(scheduleId, T)).outcome, 'started');
    repo.jobStatuses.set('job-1', 'QUEUED'); // e.g. still waiting for a scratch tape
    const out = await replica().fire(scheduleId, nextNight);
    assert.equal(out.outcome, 'failed');
    assert.equal(out.outcome === 'failed' && out.errorCode, 'PREVIOUS_JOB_UNFINISHED');
    assert.match(out.outcome === 'failed' ? out.errorMessage : '', /job job-1 from this schedule's firing at 2026-03-29T01:00:00.000Z is still QUEUED/);
    assert.equal(jobs.calls.length, 1, 'no second backup job');
    assert.equal(repo.firings[1].errorCode, 'PREVIOUS_JOB_UNFINISHED');
    // Once it has finished, the next instant starts a backup again.
    repo.jobStatuses.set('job-1', 'SUCCEEDED');
    assert.deepEqual(await replica().fire(scheduleId, nightAfter), { outcome: 'started', jobId: 'job-2', note: null });
  });

  it('notes on the firing that the backup it started waits for a tape', async () => {
    jobs.created = { status: 'QUEUED', queueReason: 'no scratch tape in pool weekly on agent host-a' };
    const out = await replica().fire(scheduleId, T);
    assert.deepEqual(out, { outcome: 'started', jobId: 'job-1', note: 'queued: no scratch tape in pool weekly on agent host-a' });
    assert.equal(repo.firings[0].jobId, 'job-1');
    assert.equal(repo.firings[0].note, 'queued: no scratch tape in pool weekly on agent host-a');
    assert.equal(repo.firings[0].errorCode, null);
  });

  it('records why no job could start, and does not throw', async () => {
    jobs.failWith = new FerriteError('AGENT_NOT_FOUND', 'no agent named host-a');
    const out = await replica().fire(scheduleId, T);
    assert.deepEqual(out, { outcome: 'failed', errorCode: 'AGENT_NOT_FOUND', errorMessage: 'no agent named host-a' });
    assert.equal(repo.firings[0].errorCode, 'AGENT_NOT_FOUND');
    jobs.failWith = new Error('connection reset');
    const later = new Date('2026-03-30T00:30:00.000Z');
    assert.equal((await replica().fire(scheduleId, later)).outcome, 'failed');
    assert.equal(repo.firings[1].errorCode, 'INTERNAL_ERROR');
  });

  it('skips paused and deleted schedules and instants the expression does not have (a stale timer)', async () => {
    const wrong = new Date('2026-03-29T01:30:00.000Z');
    assert.deepEqual(await replica().fire(scheduleId, wrong), { outcome: 'skipped', reason: 'not an instant of the current cron expression' });
    await repo.update('nightly', { enabled: false });
    assert.equal((await replica().fire(scheduleId, T)).outcome, 'skipped');
    await repo.delete('nightly');
    assert.equal((await replica().fire(scheduleId, T)).outcome, 'skipped');
    assert.equal(jobs.calls.length, 0);
    assert.equal(repo.firings.length, 0, 'nothing claimed');
  });

  it('takes over a firing whose claimer died before recording an outcome, once', async () => {
    // Replica X claimed T and died: the row has no outcome.
    await repo.claimFiring(scheduleId, T, 'dead-replica', new Date('2026-03-29T01:00:00.020Z'));
    clock.current = new Date('2026-03-29T01:01:00Z');
    assert.equal(await replica().resumeStale(), 0, 'not stale yet');
    clock.current = new Date('2026-03-29T01:03:00Z');
    const survivor = replica();
    assert.equal(await survivor.resumeStale(), 1);
    assert.equal(jobs.calls.length, 1);
    assert.equal(jobs.calls[0].idempotencyKey, `schedule:${scheduleId}:${T.toISOString()}`);
    assert.equal(repo.firings[0].claimedBy, survivor.replicaId);
    assert.equal(repo.firings[0].jobId, 'job-1');
    assert.equal(await replica().resumeStale(), 0, 'finished: nothing left to take over');
  });

  it('does not start a backup hours late; records the firing as abandoned', async () => {
    await repo.claimFiring(scheduleId, T, 'dead-replica', new Date('2026-03-29T01:00:00.020Z'));
    clock.current = new Date('2026-03-29T04:00:00Z');
    assert.equal(await replica().resumeStale(), 1);
    assert.equal(jobs.calls.length, 0);
    assert.equal(repo.firings[0].errorCode, 'FIRING_ABANDONED');
  });
});
