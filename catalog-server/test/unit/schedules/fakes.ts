// In-memory stand-ins for the schedules service's collaborators, so its rules are tested without a
// database: a repository that records what was written, timers that record syncs, a settable clock.
import { FerriteError } from '../../../src/common/errors.js';
import type { ScheduleData, ScheduleFiringRow, ScheduleRow } from '../../../src/modules/schedules/schedules.repository.js';

export class FakeClock {
  constructor(public current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
}

export class FakeSchedulesRepository {
  rows = new Map<string, ScheduleRow>();
  writes = 0;
  firings: (ScheduleFiringRow & { outcome?: unknown })[] = [];
  /** Status of the jobs firings started; a job not listed here has finished. */
  jobStatuses = new Map<string, string>();

  async findByName(name: string) {
    return this.rows.get(name) ?? null;
  }
  async findById(id: string) {
    return [...this.rows.values()].find((r) => r.id === id) ?? null;
  }
  async list(skip: number, take: number) {
    const all = [...this.rows.values()].sort((a, b) => a.name.localeCompare(b.name));
    return { rows: all.slice(skip, skip + take), total: all.length };
  }
  async listEnabled() {
    return [...this.rows.values()].filter((r) => r.enabled);
  }
  async create(name: string, data: ScheduleData) {
    if (this.rows.has(name)) throw new FerriteError('SCHEDULE_ALREADY_EXISTS', name);
    this.writes++;
    const row = this.toRow(crypto.randomUUID(), name, data, new Date(0));
    this.rows.set(name, row);
    return row;
  }
  async update(name: string, data: Partial<ScheduleData>) {
    const old = this.rows.get(name);
    if (!old) return null;
    this.writes++;
    const row = this.toRow(old.id, name, { ...this.dataOf(old), ...data }, old.createdAt);
    this.rows.set(name, row);
    return row;
  }
  async delete(name: string) {
    this.writes++;
    return this.rows.delete(name);
  }
  async claimFiring(scheduleId: string, fireTime: Date, replica: string, now: Date) {
    if (this.firings.some((f) => f.scheduleId === scheduleId && f.fireTime.getTime() === fireTime.getTime())) return null;
    const id = crypto.randomUUID();
    this.firings.push({
      id,
      scheduleId,
      fireTime,
      claimedBy: replica,
      claimedAt: now,
      jobId: null,
      errorCode: null,
      errorMessage: null,
      note: null,
      finishedAt: null,
    });
    return id;
  }
  async reclaimStaleFirings(replica: string, staleBefore: Date, now: Date, limit: number) {
    const stale = this.firings.filter((f) => !f.finishedAt && f.claimedAt < staleBefore).slice(0, limit);
    for (const f of stale) Object.assign(f, { claimedBy: replica, claimedAt: now });
    return stale.map((f) => ({ id: f.id, scheduleId: f.scheduleId, fireTime: f.fireTime }));
  }
  async finishFiring(
    firingId: string,
    scheduleId: string,
    fireTime: Date,
    outcome: { jobId: string; note: string | null } | { errorCode: string; errorMessage: string },
    at: Date,
  ) {
    const f = this.firings.find((x) => x.id === firingId)!;
    Object.assign(f, outcome, { finishedAt: at });
    const row = [...this.rows.values()].find((r) => r.id === scheduleId);
    if (row && (!row.lastFiredAt || row.lastFiredAt < fireTime)) row.lastFiredAt = fireTime;
  }
  /** Jobs the firings started, by idempotency key (the fake jobs service fills it). */
  jobsByKey = new Map<string, string>();
  async unfinishedJobBefore(keyPrefix: string, keyBefore: string) {
    const open = [...this.jobsByKey]
      .filter(
        ([key, jobId]) =>
          key.startsWith(keyPrefix) && key < keyBefore && ['QUEUED', 'ASSIGNED', 'RUNNING'].includes(this.jobStatuses.get(jobId) ?? 'SUCCEEDED'),
      )
      .sort(([a], [b]) => (a < b ? 1 : -1));
    return open[0] ? { jobId: open[0][1], status: this.jobStatuses.get(open[0][1])!, key: open[0][0] } : null;
  }
  async recentFirings(scheduleId: string, take: number) {
    return this.firings
      .filter((f) => f.scheduleId === scheduleId)
      .slice(-take)
      .reverse();
  }

  private dataOf(r: ScheduleRow): ScheduleData {
    return {
      cron: r.cron,
      timeZone: r.timeZone,
      agentId: r.agentId,
      paths: r.paths,
      excludes: r.excludes,
      poolId: r.poolId,
      level: r.level,
      enabled: r.enabled,
    };
  }
  private toRow(id: string, name: string, d: ScheduleData, createdAt: Date): ScheduleRow {
    return {
      id,
      name,
      ...d,
      lastFiredAt: null,
      createdAt,
      updatedAt: new Date(),
      agent: { id: d.agentId, name: d.agentId === 'agent-1' ? 'host-a' : 'other' },
      pool: d.poolId ? { id: d.poolId, name: 'weekly' } : null,
    };
  }
}

export class FakeTimers {
  synced: { id: string; enabled: boolean; cron: string }[] = [];
  removed: string[] = [];
  sync(row: { id: string; enabled: boolean; cron: string }) {
    this.synced.push({ id: row.id, enabled: row.enabled, cron: row.cron });
  }
  remove(id: string) {
    this.removed.push(id);
  }
}

export const fakeAgents = {
  async getByName(name: string) {
    if (name !== 'host-a') throw new FerriteError('AGENT_NOT_FOUND', `no agent ${name}`);
    return { id: 'agent-1', name };
  },
};

export const fakePools = {
  async getByName(name: string) {
    if (name !== 'weekly') throw new FerriteError('POOL_NOT_FOUND', `no pool ${name}`);
    return { id: 'pool-1', name };
  },
};

export const silentLogger = {
  child() {
    return silentLogger;
  },
  info() {},
  warn() {},
  error() {},
  debug() {},
};
