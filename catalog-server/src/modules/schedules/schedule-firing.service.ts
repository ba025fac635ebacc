// What happens when a schedule fires at instant T: claim (schedule, T) in the database so exactly one
// replica goes on, start the backup with an idempotency key derived from (schedule, T) so even a
// double start is one job, and record the job (with a note when it waits, e.g. for a tape) or the
// refusal (agent gone, bad input) on the firing row instead of throwing into a timer.
//
// A firing whose schedule still has an unfinished job from an earlier instant (waiting for a tape,
// or running long) starts nothing: a second job of the same paths would only queue behind the
// first, and the first, when it runs, already backs up everything up to then (an incremental's base
// is chosen when it starts). The firing records PREVIOUS_JOB_UNFINISHED naming that job.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FerriteError } from '../../common/errors.js';
import { LOGGER, type Logger } from '../../common/logger.js';
import { WAITING_FOR_DISPATCHER } from '../jobs/lifecycle/jobs.repository.js';
import { JobsService } from '../jobs/api/jobs.service.js';
import { BackupLevelValue, JobStatusValue } from '../jobs/lifecycle/models/job-enums.js';
import { isFireInstant } from './cron-expression.js';
import { CLOCK, type Clock } from './clock.js';
import { SchedulesRepository, type ScheduleRow } from './schedules.repository.js';

export type FireOutcome =
  /** `note` says what became of the job right away, e.g. that it waits queued for a tape. */
  | { outcome: 'started'; jobId: string; note: string | null }
  | { outcome: 'failed'; errorCode: string; errorMessage: string }
  /** Another replica claimed it, the schedule is gone or paused, or T is not one of its instants. */
  | { outcome: 'skipped'; reason: string };

/** A claim this old with no outcome belongs to a server that died mid-way. */
export const STALE_CLAIM_MS = 2 * 60_000;
/** Later than this after its instant, a scheduled backup is not started any more. */
export const MAX_LATE_START_MS = 60 * 60_000;

/** The firing's errorCode when an earlier firing's job has not finished (see the top of this file). */
export const PREVIOUS_JOB_UNFINISHED = 'PREVIOUS_JOB_UNFINISHED';

const scheduleKeyPrefix = (scheduleId: string) => `schedule:${scheduleId}:`;
export const scheduleIdempotencyKey = (scheduleId: string, fireTime: Date) => `${scheduleKeyPrefix(scheduleId)}${fireTime.toISOString()}`;

@Injectable()
export class ScheduleFiringService {
  /** Names this process on the firing rows it claims (host, pid, and a nonce for restarts). */
  readonly replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly log: Logger;

  constructor(
    private readonly schedules: SchedulesRepository,
    private readonly jobs: JobsService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'schedules', replica: this.replicaId });
  }

  async fire(scheduleId: string, fireTime: Date): Promise<FireOutcome> {
    // Read the schedule now, not when the timer was set: a change made on another replica within
    // the last reconcile period must win over this process's stale timer.
    const schedule = await this.schedules.findById(scheduleId);
    if (!schedule) return { outcome: 'skipped', reason: 'schedule deleted' };
    if (!schedule.enabled) return { outcome: 'skipped', reason: 'schedule paused' };
    if (!isFireInstant(schedule.cron, schedule.timeZone, fireTime)) return { outcome: 'skipped', reason: 'not an instant of the current cron expression' };

    const firingId = await this.schedules.claimFiring(scheduleId, fireTime, this.replicaId, this.clock.now());
    if (!firingId) return { outcome: 'skipped', reason: 'claimed by another replica' };
    return this.run(firingId, schedule, fireTime);
  }

  /**
   * Finishes firings whose claimer died between the claim and recording the outcome (crash, kill
   * -9): after STALE_CLAIM_MS another replica takes them over. The idempotency key makes a backup
   * that was in fact created count once. An instant older than MAX_LATE_START_MS is not started any
   * more (a backup hours late would collide with the next one); it is recorded as abandoned.
   */
  async resumeStale(): Promise<number> {
    const now = this.clock.now();
    const stale = await this.schedules.reclaimStaleFirings(this.replicaId, new Date(now.getTime() - STALE_CLAIM_MS), now, 20);
    for (const f of stale) {
      const schedule = await this.schedules.findById(f.scheduleId);
      if (!schedule) continue; // deleted: its firings went with it
      if (now.getTime() - f.fireTime.getTime() > MAX_LATE_START_MS || !schedule.enabled) {
        const why = schedule.enabled
          ? 'the server that claimed it stopped before starting the backup, which is now too late to start'
          : 'the schedule was paused before the backup started';
        await this.record(f.id, schedule.id, f.fireTime, { outcome: 'failed', errorCode: 'FIRING_ABANDONED', errorMessage: why }, schedule.name);
        continue;
      }
      this.log.info({ schedule: schedule.name, fireTime: f.fireTime.toISOString() }, 'taking over a firing whose server stopped mid-way');
      await this.run(f.id, schedule, f.fireTime);
    }
    return stale.length;
  }

  private async run(firingId: string, schedule: ScheduleRow, fireTime: Date): Promise<FireOutcome> {
    const log = this.log.child({ schedule: schedule.name, fireTime: fireTime.toISOString() });
    let result: FireOutcome;
    try {
      const prefix = scheduleKeyPrefix(schedule.id);
      const previous = await this.schedules.unfinishedJobBefore(prefix, scheduleIdempotencyKey(schedule.id, fireTime));
      if (previous) {
        result = {
          outcome: 'failed',
          errorCode: PREVIOUS_JOB_UNFINISHED,
          errorMessage:
            `no backup started: job ${previous.jobId} from this schedule's firing at ${previous.key.slice(prefix.length)} is still ${previous.status}; ` +
            'it backs up the same paths when it runs',
        };
        log.warn({ job: previous.jobId, status: previous.status }, 'schedule fired while its previous job is unfinished: no second job started');
      } else {
        const job = await this.jobs.startBackup({
          agent: schedule.agent.name,
          paths: schedule.paths,
          excludes: schedule.excludes,
          pool: schedule.pool?.name ?? null,
          level: BackupLevelValue[schedule.level],
          idempotencyKey: scheduleIdempotencyKey(schedule.id, fireTime),
        });
        // A backup with no tape yet is created QUEUED and waits; the firing says so rather than fail.
        const note =
          job.status === JobStatusValue.QUEUED && job.queueReason && job.queueReason !== WAITING_FOR_DISPATCHER ? `queued: ${job.queueReason}` : null;
        result = { outcome: 'started', jobId: job.id, note };
        log.info({ job: job.id, note }, 'schedule fired: backup job created');
      }
    } catch (err) {
      const known = err instanceof FerriteError;
      result = {
        outcome: 'failed',
        errorCode: known ? err.code : 'INTERNAL_ERROR',
        errorMessage: known ? err.message : 'the backup could not be started; the server log has the details',
      };
      log.warn({ err, code: result.errorCode }, 'schedule fired but no backup job could be started');
    }
    await this.record(firingId, schedule.id, fireTime, result, schedule.name);
    return result;
  }

  private async record(firingId: string, scheduleId: string, fireTime: Date, result: FireOutcome, name: string): Promise<void> {
    if (result.outcome === 'skipped') return;
    try {
      await this.schedules.finishFiring(
        firingId,
        scheduleId,
        fireTime,
        result.outcome === 'started' ? { jobId: result.jobId, note: result.note } : result,
        this.clock.now(),
      );
    } catch (err) {
      // Left unfinished, the firing is taken over by resumeStale after STALE_CLAIM_MS.
      this.log.error({ err, schedule: name, fireTime: fireTime.toISOString() }, 'could not record the outcome of a schedule firing');
    }
  }
}
