// Schedules as operators manage them: create, edit, pause, resume, delete, list, and the next fire
// times in each schedule's zone. Every request is validated completely before anything is written,
// and every change is handed to the timers at once, so it takes effect without a restart.
import { Inject, Injectable } from '@nestjs/common';
import { offsetAfter, offsetConnection, pageSize, type ConnectionShape, type PageArgs } from '../../common/pagination.js';
import { AgentsService } from '../agents/agents.service.js';
import { checkAgentWritesCopies, normalizeSourcePaths, validateExcludes } from '../jobs/lifecycle/job-validation.js';
import { BackupLevelValue } from '../jobs/lifecycle/models/job-enums.js';
import { PoolsService } from '../tapes/pools.service.js';
import { canonicalTimeZone, nextFireTimes, normalizeCron } from './cron-expression.js';
import { CLOCK, type Clock } from './clock.js';
import type { CreateScheduleInput, UpdateScheduleInput } from './dto/schedule.input.js';
import type { ScheduleFiringModel, ScheduleModel } from './models/schedule.model.js';
import { ScheduleTimersService } from './schedule-timers.service.js';
import { toScheduleFiringModel, toScheduleModel } from './schedule.mapper.js';
import { ScheduleErrors } from './schedules.errors.js';
import { SchedulesRepository, type ScheduleData, type ScheduleRow } from './schedules.repository.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_FIRE_TIMES = 100;

@Injectable()
export class SchedulesService {
  constructor(
    private readonly schedules: SchedulesRepository,
    private readonly agents: AgentsService,
    private readonly pools: PoolsService,
    private readonly timers: ScheduleTimersService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async getByName(name: string): Promise<ScheduleModel> {
    return toScheduleModel(await this.row(name));
  }

  async list(page: PageArgs): Promise<ConnectionShape<ScheduleModel>> {
    const size = pageSize(page.first);
    const offset = offsetAfter(page.after);
    const { rows, total } = await this.schedules.list(offset, size + 1);
    return offsetConnection(rows, size, offset, total, toScheduleModel);
  }

  /** The next `count` instants it fires at, from now; none while paused. */
  nextFireTimes(schedule: Pick<ScheduleModel, 'cron' | 'timeZone' | 'enabled'>, count: number): Date[] {
    if (!Number.isInteger(count) || count < 1 || count > MAX_FIRE_TIMES) throw ScheduleErrors.invalidCount(count);
    if (!schedule.enabled) return [];
    return nextFireTimes(schedule.cron, schedule.timeZone, this.clock.now(), count);
  }

  async firings(scheduleId: string, count: number): Promise<ScheduleFiringModel[]> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_FIRE_TIMES) throw ScheduleErrors.invalidCount(count);
    return (await this.schedules.recentFirings(scheduleId, count)).map(toScheduleFiringModel);
  }

  async create(input: CreateScheduleInput): Promise<ScheduleModel> {
    if (!NAME.test(input.name)) throw ScheduleErrors.invalidName(input.name);
    const data = await this.validate({
      cron: input.cron,
      timeZone: input.timeZone ?? 'UTC',
      agent: input.agent,
      paths: input.paths,
      excludes: input.excludes ?? [],
      pool: input.pool ?? null,
      level: input.level ?? BackupLevelValue.FULL,
      enabled: input.enabled ?? true,
    });
    const row = await this.schedules.create(input.name, data);
    this.timers.sync(row);
    return toScheduleModel(row);
  }

  async update(name: string, input: UpdateScheduleInput): Promise<ScheduleModel> {
    const current = await this.row(name);
    const data = await this.validate({
      cron: input.cron ?? current.cron,
      timeZone: input.timeZone ?? current.timeZone,
      agent: input.agent ?? current.agent.name,
      paths: input.paths ?? current.paths,
      excludes: input.excludes ?? current.excludes,
      // undefined: unchanged; null: no pool any more.
      pool: input.pool === undefined ? (current.pool?.name ?? null) : input.pool,
      level: input.level ?? BackupLevelValue[current.level],
      enabled: current.enabled,
    });
    return this.saved(name, data);
  }

  pause(name: string): Promise<ScheduleModel> {
    return this.saved(name, { enabled: false });
  }

  resume(name: string): Promise<ScheduleModel> {
    return this.saved(name, { enabled: true });
  }

  async delete(name: string): Promise<ScheduleModel> {
    const row = await this.row(name);
    if (!(await this.schedules.delete(name))) throw ScheduleErrors.notFound(name);
    this.timers.remove(row.id);
    return toScheduleModel(row);
  }

  private async saved(name: string, data: Partial<ScheduleData>): Promise<ScheduleModel> {
    const row = await this.schedules.update(name, data);
    if (!row) throw ScheduleErrors.notFound(name);
    this.timers.sync(row);
    return toScheduleModel(row);
  }

  private async row(name: string): Promise<ScheduleRow> {
    const row = await this.schedules.findByName(name);
    if (!row) throw ScheduleErrors.notFound(name);
    return row;
  }

  /** Checks in the order an operator fixes things: the when, then the what, then the where. */
  private async validate(s: {
    cron: string;
    timeZone: string;
    agent: string;
    paths: string[];
    excludes: string[];
    pool: string | null;
    level: BackupLevelValue;
    enabled: boolean;
  }): Promise<ScheduleData> {
    const timeZone = canonicalTimeZone(s.timeZone);
    const cron = normalizeCron(s.cron, timeZone);
    const paths = normalizeSourcePaths(s.paths);
    const excludes = validateExcludes(s.excludes);
    const agent = await this.agents.getByName(s.agent);
    const pool = s.pool ? await this.pools.getByName(s.pool) : null;
    // A schedule whose backups could never run (too few drives for the pool's copies) is refused now.
    if (pool && pool.copies > 1) checkAgentWritesCopies(agent.name, pool, await this.agents.drivesOf(agent.id));
    return { cron, timeZone, agentId: agent.id, paths, excludes, poolId: pool?.id ?? null, level: s.level, enabled: s.enabled };
  }
}
