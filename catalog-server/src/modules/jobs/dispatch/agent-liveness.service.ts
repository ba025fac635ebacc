// What happens to jobs when agents go quiet. A periodic sweep marks agents offline after
// `heartbeatMissesBeforeOffline` missed beats, closes their command streams and marks their active
// jobs INTERRUPTED; as a backstop it also interrupts any job of an offline agent whose lease
// (renewed by heartbeats that list the job and by the job's own reports) has run out. Each heartbeat also reconciles: jobs the catalog thinks the agent runs but the
// agent does not list are requeued (never started) or INTERRUPTED (lost in an agent restart), and
// the agent's INTERRUPTED backups are queued again as their next attempt, to resume (job-resume.ts).
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SERVER_CONFIG, type ServerConfig } from '../../../config/config.js';
import { LOGGER, type Logger } from '../../../common/logger.js';
import { AgentSessionsRegistry } from '../../agents/agent-sessions.registry.js';
import { AgentsService } from '../../agents/agents.service.js';
import { DispatcherService } from './dispatcher.service.js';
import { JobUpdatesPubSub } from '../lifecycle/job-updates.pubsub.js';
import { JobLifecycleService } from '../lifecycle/job-lifecycle.service.js';

@Injectable()
export class AgentLivenessService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly agents: AgentsService,
    private readonly jobs: JobLifecycleService,
    private readonly sessions: AgentSessionsRegistry,
    private readonly dispatcher: DispatcherService,
    private readonly updates: JobUpdatesPubSub,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'liveness' });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .then(
          () => undefined,
          (err: unknown) => this.log.error({ err }, 'offline sweep failed'),
        )
        .finally(() => (this.sweeping = null));
    }, this.config.heartbeatIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
  }

  /** Marks silent agents offline and interrupts their jobs; returns the agents marked. */
  async sweep(now = new Date()): Promise<string[]> {
    const silentFor = this.config.heartbeatIntervalMs * this.config.heartbeatMissesBeforeOffline;
    // After a server restart every agent looks silent: give them one full window to reconnect
    // before their jobs are declared lost.
    if (now.getTime() - this.startedAt < silentFor) return [];
    const offline = await this.agents.markStaleOffline(new Date(now.getTime() - silentFor));
    for (const agent of offline) {
      this.sessions.disconnect(agent.id);
      const jobIds = await this.jobs.interruptJobsOfAgents([agent.id], `agent ${agent.name} stopped sending heartbeats`);
      this.log.warn({ agent: agent.name, agentId: agent.id, interruptedJobs: jobIds }, 'agent went offline');
      await this.publish(jobIds);
    }
    const expired = await this.jobs.interruptExpiredLeases(now);
    if (expired.length > 0) {
      this.log.warn({ jobs: expired }, 'job leases expired; jobs interrupted and their drives released');
      await this.publish(expired);
      this.dispatcher.kick();
    }
    return offline.map((a) => a.name);
  }

  /** After a valid heartbeat: renew leases, and settle jobs the agent no longer knows of. */
  async reconcile(agentId: string, runningJobIds: string[], now = new Date()): Promise<void> {
    const interval = this.config.heartbeatIntervalMs;
    const ids = runningJobIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    const changed = await this.jobs.reconcileAgentJobs(
      agentId,
      ids,
      // A whole lease window, not a beat or two: a command routed through another replica, on a
      // busy machine, can take longer than one beat to reach the agent.
      new Date(now.getTime() - interval * Math.max(2, this.config.heartbeatMissesBeforeOffline)),
      new Date(now.getTime() + interval * this.config.heartbeatMissesBeforeOffline),
    );
    if (changed.length > 0) {
      this.log.warn({ agentId, jobs: changed }, 'agent does not run jobs assigned to it; requeued or interrupted them');
      await this.publish(changed);
      this.dispatcher.kick();
    }
    // A beat proves the agent is back: its interrupted backups resume (on this beat or, for one just
    // interrupted above, on the next).
    const resumed = await this.jobs.resumeInterruptedBackups(agentId, ids);
    if (resumed.length > 0) {
      this.log.info({ agentId, jobs: resumed }, 'agent is back; interrupted backups queued again to resume');
      await this.publish(resumed);
      this.dispatcher.kick();
    }
  }

  private async publish(jobIds: string[]): Promise<void> {
    for (const id of jobIds) await this.updates.publish({ id });
  }
}
