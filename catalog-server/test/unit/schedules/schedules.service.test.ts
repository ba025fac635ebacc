// The schedules service with in-memory collaborators: validation before any write, timers told of
// every change, next fire times from a controlled clock.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { BackupLevelValue } from '../../../src/modules/jobs/lifecycle/models/job-enums.js';
import { SchedulesService } from '../../../src/modules/schedules/schedules.service.js';
import { FakeClock, FakeSchedulesRepository, FakeTimers, fakeAgents, fakePools } from './fakes.js';
import { rejectionCode } from '../../support/error-codes.js';

const base = { name: 'nightly', cron: '30 2 * * *', timeZone: 'Europe/Berlin', agent: 'host-a', paths: ['/data/'], excludes: ['*.tmp'], pool: 'weekly' };

describe('SchedulesService', () => {
  let repo: FakeSchedulesRepository;
  let timers: FakeTimers;
  let clock: FakeClock;
  let service: SchedulesService;

  beforeEach(() => {
    repo = new FakeSchedulesRepository();
    timers = new FakeTimers();
    clock = new FakeClock(new Date('2026-03-27T12:00:00Z'));
    service = new SchedulesService(repo as never, fakeAgents as never, fakePools as never, timers as never, clock);
  });

  it('stores a valid schedule normalized and arms its timer at once', async () => {
    const s = await service.create({ ...base, timeZone: 'europe/berlin', cron: ' 30 2  * * * ' });
    assert.equal(s.timeZone, 'Europe/Berlin');
    assert.equal(s.cron, '30 2 * * *');
    assert.deepEqual(s.paths, ['/data']);
    assert.equal(s.level, BackupLevelValue.FULL);
    assert.equal(s.enabled, true);
    assert.deepEqual(timers.synced, [{ id: s.id, enabled: true, cron: '30 2 * * *' }]);
  });

  it('computes next fire times from the clock, in the zone, across the spring-forward night', async () => {
    const s = await service.create(base);
    assert.deepEqual(
      service.nextFireTimes(s, 3).map((d) => d.toISOString()),
      ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
    );
    clock.current = new Date('2026-10-24T12:00:00Z');
    assert.deepEqual(
      service.nextFireTimes(s, 2).map((d) => d.toISOString()),
      ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    );
    assert.equal(await rejectionCode(Promise.resolve().then(() => service.nextFireTimes(s, 0))), 'INVALID_COUNT');
  });

  it('refuses bad input with a stable code and writes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ cron: '61 * * * *' }, 'INVALID_CRON'],
      [{ cron: 'nightly' }, 'INVALID_CRON'],
      [{ timeZone: 'Mars/Olympus' }, 'INVALID_TIME_ZONE'],
      [{ agent: 'nobody' }, 'AGENT_NOT_FOUND'],
      [{ pool: 'nope' }, 'POOL_NOT_FOUND'],
      [{ paths: ['relative/dir'] }, 'INVALID_PATH'],
      [{ paths: [] }, 'INVALID_PATH'],
      [{ paths: ['/a/../etc'] }, 'INVALID_PATH'],
      [{ name: 'bad name!' }, 'INVALID_SCHEDULE_NAME'],
    ];
    for (const [change, code] of cases) {
      assert.equal(await rejectionCode(service.create({ ...base, ...change })), code, JSON.stringify(change));
    }
    assert.equal(repo.writes, 0);
    assert.equal(timers.synced.length, 0);
  });

  it('updates only what is given, validates the result, and leaves the schedule alone on error', async () => {
    await service.create(base);
    const writes = repo.writes;
    assert.equal(await rejectionCode(service.update('nightly', { cron: '* * *' })), 'INVALID_CRON');
    assert.equal(await rejectionCode(service.update('nightly', { timeZone: 'Nowhere/Town' })), 'INVALID_TIME_ZONE');
    assert.equal(await rejectionCode(service.update('missing', { cron: '0 1 * * *' })), 'SCHEDULE_NOT_FOUND');
    assert.equal(repo.writes, writes);
    assert.equal((await service.getByName('nightly')).cron, '30 2 * * *');

    const updated = await service.update('nightly', { cron: '0 3 * * SUN', level: BackupLevelValue.INCREMENTAL, pool: null });
    assert.equal(updated.cron, '0 3 * * SUN');
    assert.equal(updated.level, BackupLevelValue.INCREMENTAL);
    assert.equal(updated.pool, null);
    assert.deepEqual(updated.paths, ['/data'], 'paths not given stay');
    assert.equal(timers.synced.at(-1)!.cron, '0 3 * * SUN');
  });

  it('pauses (no next fire times, timer dropped), resumes and deletes', async () => {
    const s = await service.create(base);
    const paused = await service.pause('nightly');
    assert.equal(paused.enabled, false);
    assert.deepEqual(service.nextFireTimes(paused, 5), []);
    assert.deepEqual(timers.synced.at(-1), { id: s.id, enabled: false, cron: base.cron });
    assert.equal((await service.resume('nightly')).enabled, true);
    assert.equal(timers.synced.at(-1)!.enabled, true);
    await service.delete('nightly');
    assert.deepEqual(timers.removed, [s.id]);
    assert.equal(await rejectionCode(service.getByName('nightly')), 'SCHEDULE_NOT_FOUND');
    assert.equal(await rejectionCode(service.pause('nightly')), 'SCHEDULE_NOT_FOUND');
    assert.equal(await rejectionCode(service.delete('nightly')), 'SCHEDULE_NOT_FOUND');
  });
});
