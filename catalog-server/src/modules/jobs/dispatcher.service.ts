// Hands queued jobs to agents: for each queued job (restores first, then oldest first) whose agent
// holds a command stream here, pick a free drive, mark the job ASSIGNED and push AssignJob. A job
// that cannot run yet stays QUEUED with a reason an operator can read. Runs when a job is created
// or ends, when an agent connects, and every second; overlapping triggers coalesce into one pass.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SERVER_CONFIG, type ServerConfig } from '../../config/config.js';
import { LOGGER, type Logger } from '../../common/logger.js';
import { AgentSessionsRegistry } from '../agents/agent-sessions.registry.js';
import { chooseDrive, type DriveChoice } from './drive-choice.js';
import { choosePinnedDrive } from './pinned-drive.js';
import { DispatchRepository, type AssignmentContext, type QueuedJob } from './dispatch.repository.js';
import { buildAssignJob } from './job-spec.js';
import { toJobModel } from './job.mapper.js';
import { JobUpdatesPubSub } from './job-updates.pubsub.js';
import { JobsRepository } from './jobs.repository.js';

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
  /** Lease owner written on assigned jobs: which server process handed them out. */
  readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly dispatch: DispatchRepository,
    private readonly jobs: JobsRepository,
    private readonly sessions: AgentSessionsRegistry,
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
    for (const job of queued) {
      if (this.stopped) break;
      if (await this.dispatchJob(job)) assigned++;
    }
    return assigned;
  }

  private async dispatchJob(job: QueuedJob): Promise<boolean> {
    if (!job.agentId) return false;
    if (!this.sessions.isConnected(job.agentId)) {
      const reason = job.agentOnline
        ? `agent ${job.agentName} is online but has no command stream to this server`
        : `agent ${job.agentName} is offline`;
      if (job.queueReason !== reason && (await this.dispatch.setQueueReason(job.id, reason))) await this.publish(job.id);
      return false;
    }
    const lease = { owner: this.instanceId, expiresAt: new Date(Date.now() + this.leaseMs()) };
    const result = await this.dispatch.tryAssign(job.id, lease, chooseDriveFor);
    if (result.outcome === 'waiting') {
      if (result.changed) await this.publish(job.id);
      return false;
    }
    if (result.outcome === 'skipped') return false;

    let command;
    try {
      command = buildAssignJob(result.job, result.driveName);
    } catch (err) {
      this.log.error({ err, job: job.id }, 'cannot build the command for a job');
      await this.dispatch.requeue(job.id, `the server cannot dispatch this job: ${(err as Error).message}`);
      return false;
    }
    if (!this.sessions.send(job.agentId, { assignJob: command })) {
      await this.dispatch.requeue(job.id, `agent ${job.agentName}'s command stream closed; will retry`);
      await this.publish(job.id);
      return false;
    }
    this.log.info({ job: job.id, kind: job.kind, agent: job.agentName, drive: result.driveName }, 'job assigned');
    await this.updates.publish(toJobModel(result.job));
    return true;
  }

  private leaseMs(): number {
    return this.config.heartbeatIntervalMs * this.config.heartbeatMissesBeforeOffline;
  }

  private async publish(jobId: string): Promise<void> {
    const row = await this.jobs.findById(jobId);
    if (row) await this.updates.publish(toJobModel(row));
  }
}
