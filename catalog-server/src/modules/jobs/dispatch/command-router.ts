// Delivers commands to agents wherever their Commands stream is open. The local registry is tried
// first; otherwise the command goes over the cluster bus to the replica that holds the stream, which
// pushes it. Assignments travel as a job id (the holder re-reads the row and builds AssignJob), so
// no command outgrows a NOTIFY payload. A command lost on the way is recovered by the heartbeat
// reconcile (an ASSIGNED job the agent does not list is queued again).
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { IncrementalLevel, type CommandsResponse, type PlanBackup } from '@ferrite/proto';
import { z } from 'zod';
import { LOGGER, type Logger } from '../../../common/logger.js';
import { AgentSessionsRegistry, type CommandSink } from '../../agents/agent-sessions.registry.js';
import { CLUSTER_CHANNELS, ClusterBus } from '../../cluster/cluster-bus.js';
import { CommandStreamsRepository } from './command-streams.repository.js';
import { DispatchRepository } from './dispatch.repository.js';
import { buildAssignJob } from '../lifecycle/job-spec.js';
import { JobsRepository } from '../lifecycle/jobs.repository.js';

type RoutedCommand =
  ({ agentId: string; jobId: string } & ({ kind: 'assign' } | { kind: 'cancel'; reason: string })) | { kind: 'plan'; agentId: string; plan: PlanBackup };

/** A payload from the bus, checked: another replica (or anyone who can NOTIFY) sent it. */
const routedCommandSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('assign'), agentId: z.string(), jobId: z.string(), from: z.string() }),
  z.object({ kind: z.literal('cancel'), agentId: z.string(), jobId: z.string(), reason: z.string(), from: z.string() }),
  z.object({
    kind: z.literal('plan'),
    agentId: z.string(),
    from: z.string(),
    plan: z.object({
      requestId: z.string(),
      paths: z.array(z.string()),
      excludes: z.array(z.string()),
      level: z.enum(IncrementalLevel),
      compareContent: z.boolean(),
      pool: z.string(),
      deadlineMs: z.number().int().nonnegative(),
    }),
  }),
]);

@Injectable()
export class CommandRouter implements OnModuleInit, OnModuleDestroy {
  private readonly log: Logger;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly sessions: AgentSessionsRegistry,
    private readonly streams: CommandStreamsRepository,
    private readonly jobs: JobsRepository,
    private readonly dispatch: DispatchRepository,
    private readonly bus: ClusterBus,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'command-router' });
  }

  onModuleInit(): void {
    this.unsubscribe = this.bus.on(CLUSTER_CHANNELS.agentCommand, (payload) => {
      const command = routedCommandSchema.safeParse(payload);
      if (!command.success) return this.log.warn({ payload, problem: command.error.message }, 'ignored a routed command that is not valid');
      return this.receive(command.data);
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe?.();
    await this.streams.closedAll(this.bus.replicaId).catch((err: unknown) => this.log.warn({ err }, "could not forget this replica's command streams"));
  }

  get replicaId(): string {
    return this.bus.replicaId;
  }

  /** A Commands stream opened here: hold it and tell the other replicas where it is. */
  async streamOpened(agentId: string, sessionId: string, sink: CommandSink): Promise<void> {
    this.sessions.attach(agentId, sessionId, sink);
    await this.streams.opened(agentId, sessionId, this.bus.replicaId);
  }

  /** The stream closed; true when it was the agent's current one. */
  async streamClosed(agentId: string, sessionId: string, sink: CommandSink): Promise<boolean> {
    if (!this.sessions.detach(agentId, sink)) return false;
    await this.streams.closed(agentId, sessionId, this.bus.replicaId);
    return true;
  }

  /** Some replica holds a stream of the agent's current session. */
  async isReachable(agentId: string): Promise<boolean> {
    return this.sessions.isConnected(agentId) || (await this.streams.replicaOf(agentId)) !== null;
  }

  /** Sends an assignment: pushed here when the stream is here, otherwise routed. False: nowhere to send. */
  async assign(agentId: string, job: Parameters<typeof buildAssignJob>[0], driveName: string): Promise<boolean> {
    if (this.sessions.isConnected(agentId)) return this.sessions.send(agentId, { assignJob: buildAssignJob(job, driveName) });
    return this.route({ kind: 'assign', agentId, jobId: job.id });
  }

  async cancel(agentId: string, jobId: string, reason: string): Promise<boolean> {
    if (this.sessions.isConnected(agentId)) return this.sessions.send(agentId, { cancelJob: { jobId, reason } });
    return this.route({ kind: 'cancel', agentId, jobId, reason });
  }

  /** Asks the agent for a backup plan (no job: the answer comes back by ReportPlan). False: not connected anywhere. */
  async plan(agentId: string, plan: PlanBackup): Promise<boolean> {
    if (this.sessions.isConnected(agentId)) return this.sessions.send(agentId, { planBackup: plan });
    return this.route({ kind: 'plan', agentId, plan });
  }

  private async route(command: RoutedCommand): Promise<boolean> {
    if ((await this.streams.replicaOf(command.agentId)) === null) return false;
    await this.bus.publish(CLUSTER_CHANNELS.agentCommand, command);
    return true;
  }

  /** A routed command: push it if the agent's stream is here, ignore it otherwise. */
  private async receive(command: RoutedCommand & { from: string }): Promise<void> {
    if (command.from === this.bus.replicaId || !this.sessions.isConnected(command.agentId)) return;
    let message: CommandsResponse;
    if (command.kind === 'plan') {
      message = { planBackup: command.plan };
    } else if (command.kind === 'cancel') {
      message = { cancelJob: { jobId: command.jobId, reason: command.reason } };
    } else {
      const job = await this.jobs.findById(command.jobId);
      // Already taken back (cancelled, requeued) between the assignment and now: nothing to send.
      if (!job || job.status !== 'ASSIGNED' || job.agentId !== command.agentId || !job.driveId) return;
      const driveName = await this.dispatch.driveName(job.driveId);
      if (!driveName) return;
      message = { assignJob: buildAssignJob(job, driveName) };
    }
    const sent = this.sessions.send(command.agentId, message);
    this.log.info(
      { agentId: command.agentId, job: 'jobId' in command ? command.jobId : undefined, kind: command.kind, from: command.from, sent },
      'pushed a command routed from another replica',
    );
  }
}
