// Hands queued jobs to agents: for each queued job (highest priority first, so restores before
// backups, then oldest first) whose agent holds a command stream on any replica, pick a free drive,
// mark the job ASSIGNED with a lease and send AssignJob (through the command router, which reaches
// the replica holding the stream). A job that cannot run yet stays QUEUED with a reason an operator
// can read. Every replica runs this; row locks make each job assigned once. Runs when a job is
// created or ends, when an agent connects, and every second; overlapping triggers coalesce.
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SERVER_CONFIG, type ServerConfig } from '../../../config/config.js';
import { LOGGER, type Logger } from '../../../common/logger.js';
import { FerriteError } from '../../../common/errors.js';
import { CommandRouter } from './command-router.js';
import { chooseDrive, type DriveChoice } from './drive-choice.js';
import { choosePinnedDrive } from './pinned-drive.js';
import { AssignmentService, type AssignmentContext, type AssignOutcome } from './assignment.service.js';
import { DispatchRepository, type QueuedJob } from './dispatch.repository.js';
import { JobLifecycleService } from '../lifecycle/job-lifecycle.service.js';
import { JobUpdatesPubSub } from '../lifecycle/job-updates.pubsub.js';
import { JobsRepository } from '../lifecycle/jobs.repository.js';

const DISPATCH_INTERVAL_MS = 1000;
const BATCH = 200;

/** The drive for a job, or why it waits (tape in use by another job of the agent, drives busy...). */
export function chooseDriveFor(ctx: AssignmentContext): DriveChoice {
  if (ctx.tapeHeldBy) return { reason: `tape ${ctx.barcode} is in use by job ${ctx.tapeHeldBy}` };
  return choosePinnedDrive(ctx.job.kind, ctx.job.spec, ctx.drives, ctx.agentName) ?? chooseDrive(ctx.drives, ctx.barcode, ctx.agentName);
}

@Injectable()
export class DispatcherService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly dispatch: DispatchRepository,
    private readonly assignment: AssignmentService,
    private readonly lifecycle: JobLifecycleService,
    private readonly jobs: JobsRepository,
    private readonly router: CommandRouter,
    private readonly updates: JobUpdatesPubSub,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'dispatcher' });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), DISPATCH_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Asks for a pass soon; a pass already under way runs once more after it ends. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.dispatchOnce();
      } catch (err) {
        this.log.error({ err }, 'dispatch pass failed');
      }
    } while (this.again && !this.stopped);
  }

  /** One pass over the queue; returns how many jobs were assigned. */
  async dispatchOnce(): Promise<number> {
    const queued = await this.dispatch.listQueued(BATCH);
    let assigned = 0;
    // Agents for which another replica holds a higher-priority job right now: giving this pass's
    // lower-priority jobs their drives could take the drive that job is about to get.
    const yielded = new Set<string>();
    for (const job of queued) {
      if (this.stopped) break;
      if (job.agentId && yielded.has(job.agentId)) continue;
      const outcome = await this.dispatchJob(job);
      if (outcome === true) assigned++;
      else if (outcome === 'locked' && job.agentId) yielded.add(job.agentId);
    }
    return assigned;
  }

  /** A job whose stored spec is not valid can never run: it fails (INVALID_JOB_SPEC) instead of
   *  being queued again on every pass. True when that was the error. */
  private async failIfUnrunnable(jobId: string, err: unknown): Promise<boolean> {
    if (!(err instanceof FerriteError) || err.code !== 'INVALID_JOB_SPEC') return false;
    this.log.error({ job: jobId, err: err.message }, 'job failed: its stored spec is not valid');
    if (await this.lifecycle.failUnrunnable(jobId, err.code, err.message)) await this.publish(jobId);
    return true;
  }

  /** true: assigned; 'locked': another replica is assigning it; false: not now. */
  private async dispatchJob(job: QueuedJob): Promise<boolean | 'locked'> {
    if (!job.agentId) return false;
    if (!job.streamOpen || !job.agentOnline) {
      const reason = job.agentOnline ? `agent ${job.agentName} is online but has no command stream open` : `agent ${job.agentName} is offline`;
      if (job.queueReason !== reason && (await this.jobs.setQueueReason(null, job.id, reason))) await this.publish(job.id);
      return false;
    }
    const lease = { owner: this.router.replicaId, expiresAt: new Date(Date.now() + this.leaseMs()) };
    let result: AssignOutcome;
    try {
      result = await this.assignment.tryAssign(job.id, lease, chooseDriveFor);
    } catch (err) {
      if (await this.failIfUnrunnable(job.id, err)) return false;
      throw err;
    }
    if (result.outcome === 'waiting') {
      if (result.changed) await this.publish(job.id);
      return false;
    }
    if (result.outcome === 'skipped') return 'locked';

    let sent: boolean;
    try {
      sent = await this.router.assign(job.agentId, result.job, result.driveName);
    } catch (err) {
      if (await this.failIfUnrunnable(job.id, err)) return false;
      this.log.error({ err, job: job.id }, 'cannot send the command for a job');
      await this.jobs.requeue(null, job.id, `the server cannot dispatch this job: ${(err as Error).message}`);
      await this.publish(job.id);
      return false;
    }
    if (!sent) {
      await this.jobs.requeue(null, job.id, `agent ${job.agentName}'s command stream closed; will retry`);
      await this.publish(job.id);
      return false;
    }
    this.log.info({ job: job.id, kind: job.kind, agent: job.agentName, drive: result.driveName }, 'job assigned');
    await this.updates.publish(result.job);
    return true;
  }

  private leaseMs(): number {
    return this.config.heartbeatIntervalMs * this.config.heartbeatMissesBeforeOffline;
  }

  private async publish(jobId: string): Promise<void> {
    await this.updates.publish({ id: jobId });
  }
}
