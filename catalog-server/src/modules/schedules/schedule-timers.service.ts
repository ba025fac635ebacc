// Keeps one @nestjs/schedule cron job per enabled schedule in the SchedulerRegistry, loaded from the
// database: at startup, right after every change made through this process, and by a periodic
// reconcile that picks up changes made on other replicas. Timers only say "an instant may be due";
// the database decides who fires it (ScheduleFiringService), so several replicas are safe.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { LOGGER, type Logger } from '../../common/logger.js';
import { fireInstantFor } from './cron-expression.js';
import { CLOCK, type Clock } from './clock.js';
import { ScheduleFiringService } from './schedule-firing.service.js';
import { SchedulesRepository } from './schedules.repository.js';

export interface ScheduleTimersOptions {
  /** How often the timers are rebuilt from the database (changes made on other replicas). */
  reconcileIntervalMs: number;
  /** False: no timers at all (tests that drive firing by hand). */
  enabled: boolean;
}

export const SCHEDULE_TIMERS_OPTIONS = Symbol('SCHEDULE_TIMERS_OPTIONS');
export const DEFAULT_SCHEDULE_TIMERS_OPTIONS: ScheduleTimersOptions = { reconcileIntervalMs: 30_000, enabled: true };

const JOB_PREFIX = 'schedule:';
const RECONCILE_INTERVAL_NAME = 'schedules:reconcile';

interface TimerSpec {
  id: string;
  name: string;
  cron: string;
  timeZone: string;
  enabled: boolean;
}

@Injectable()
export class ScheduleTimersService implements OnApplicationBootstrap, OnApplicationShutdown {
  /** cron + zone each registered job was built from, by schedule id: what reconcile compares. */
  private readonly signatures = new Map<string, string>();
  private readonly log: Logger;
  private stopped = false;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly schedules: SchedulesRepository,
    private readonly firing: ScheduleFiringService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SCHEDULE_TIMERS_OPTIONS) private readonly options: ScheduleTimersOptions,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'schedules' });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.enabled) return;
    await this.reconcile();
    const handle = setInterval(() => void this.reconcile(), this.options.reconcileIntervalMs);
    handle.unref();
    this.registry.addInterval(RECONCILE_INTERVAL_NAME, handle);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.registry.doesExist('interval', RECONCILE_INTERVAL_NAME)) this.registry.deleteInterval(RECONCILE_INTERVAL_NAME);
    for (const id of [...this.signatures.keys()]) this.remove(id);
  }

  /** Rebuilds the timers from the enabled schedules in the database. Never throws. */
  async reconcile(): Promise<void> {
    if (!this.options.enabled || this.stopped) return;
    try {
      const rows = await this.schedules.listEnabled();
      const live = new Set(rows.map((r) => r.id));
      for (const id of [...this.signatures.keys()]) if (!live.has(id)) this.remove(id);
      for (const row of rows) this.sync(row);
    } catch (err) {
      this.log.error({ err }, 'could not reload schedules; keeping the current timers');
    }
    try {
      await this.firing.resumeStale();
    } catch (err) {
      this.log.error({ err }, 'could not take over stale schedule firings');
    }
  }

  /** Makes this schedule's timer match the row: (re)created, left alone, or removed when paused. */
  sync(row: TimerSpec): void {
    if (!this.options.enabled || this.stopped) return;
    if (!row.enabled) return this.remove(row.id);
    const signature = `${row.cron}\u0000${row.timeZone}`;
    if (this.signatures.get(row.id) === signature) return;
    this.remove(row.id);
    const job = CronJob.from({
      cronTime: row.cron,
      timeZone: row.timeZone,
      name: `${JOB_PREFIX}${row.id}`,
      start: true,
      onTick: () => this.tick(row.id, row.cron, row.timeZone),
      errorHandler: (err) => this.log.error({ err, schedule: row.name }, 'schedule tick failed'),
    });
    this.registry.addCronJob(`${JOB_PREFIX}${row.id}`, job);
    this.signatures.set(row.id, signature);
    this.log.info({ schedule: row.name, cron: row.cron, timeZone: row.timeZone, next: job.nextDate().toISO() }, 'schedule timer set');
  }

  remove(id: string): void {
    const name = `${JOB_PREFIX}${id}`;
    if (this.registry.doesExist('cron', name)) this.registry.deleteCronJob(name); // stops it too
    this.signatures.delete(id);
  }

  /** Schedule ids with a live timer in this process (for tests and diagnostics). */
  activeScheduleIds(): string[] {
    return [...this.signatures.keys()];
  }

  private async tick(id: string, cron: string, timeZone: string): Promise<void> {
    const instant = fireInstantFor(cron, timeZone, this.clock.now());
    if (!instant) {
      this.log.warn({ scheduleId: id }, 'timer ran with no cron instant near now; ignored');
      return;
    }
    await this.firing.fire(id, instant);
  }
}
