// The AgentService implementation: thin edges that check the caller and hand each call to one
// service method. Errors leave through toGrpcError only.
import { Inject, Injectable } from '@nestjs/common';
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { IncrementalLevel } from '@ferrite/proto';
import type {
  AgentServiceServer,
  CommandsRequest,
  CommandsResponse,
  IncrementalBaseRequest,
  IncrementalBaseResponse,
  PlanBaseRequest,
  PlanBaseResponse,
  VerifyItemsRequest,
  RestoreItemsRequest,
  RestoreItemsResponse,
  VerifyItemsResponse,
} from '@ferrite/proto';
import { isUuid } from '../../common/ids.js';
import { LOGGER, type Logger } from '../../common/logger.js';
import { AgentErrors } from '../agents/agents.errors.js';
import { AgentsService } from '../agents/agents.service.js';
import { FilesService } from '../files/files.service.js';
import { IncrementalBaseService } from '../runs/incremental-base.service.js';
import { CommandRouter } from '../jobs/dispatch/command-router.js';
import { AgentLivenessService } from '../jobs/dispatch/agent-liveness.service.js';
import { DispatcherService } from '../jobs/dispatch/dispatcher.service.js';
import { JobEventsService } from '../jobs/events/job-events.service.js';
import { JobsService } from '../jobs/api/jobs.service.js';
import { JobsWaitingService } from '../jobs/lifecycle/jobs-waiting.service.js';
import { RebuildService } from '../jobs/rebuild/rebuild.service.js';
import { NextTapeService } from '../jobs/dispatch/next-tape.service.js';
import { PlanRequestsService } from '../jobs/dispatch/plan-requests.service.js';
import { toGrpcError } from './grpc-status.mapper.js';

@Injectable()
export class AgentRpcHandlers {
  private readonly log: Logger;

  constructor(
    private readonly agents: AgentsService,
    private readonly router: CommandRouter,
    private readonly jobs: JobsService,
    private readonly jobEvents: JobEventsService,
    private readonly files: FilesService,
    private readonly dispatcher: DispatcherService,
    private readonly liveness: AgentLivenessService,
    private readonly incrementalBase: IncrementalBaseService,
    private readonly rebuild: RebuildService,
    private readonly waiting: JobsWaitingService,
    private readonly nextTapes: NextTapeService,
    private readonly plans: PlanRequestsService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'agent-rpc' });
  }

  /** The object grpc-js serves. */
  implementation(): AgentServiceServer {
    return {
      register: this.unary('Register', async (req) => {
        const res = await this.agents.register(req);
        await this.waiting.tapesArrived(res.agentId);
        this.dispatcher.kick();
        return res;
      }),
      commands: (call) => void this.openCommands(call),
      reportJobEvent: this.unary('ReportJobEvent', (req) => this.jobEvents.report(req)),
      reportFiles: this.unary('ReportFiles', async (req) => {
        if (!isUuid(req.agentId)) throw AgentErrors.idNotFound(req.agentId);
        // Checked here too, so a batch for another agent's job is refused before any ingest work.
        await this.jobs.assertOwnedBy(req.jobId, req.agentId);
        return this.files.ingestBatch({
          jobId: req.jobId,
          attempt: req.attempt,
          batchSeq: req.batchSeq,
          agentId: req.agentId,
          records: req.files,
          manifestPath: req.manifestPath,
        });
      }),
      reportRebuild: this.unary('ReportRebuild', (req) => this.rebuild.report(req)),
      nextTape: this.unary('NextTape', (req) => this.nextTapes.nextTape(req)),
      incrementalBase: (call) => void this.streamIncrementalBase(call),
      verifyItems: (call) => void this.streamItems('VerifyItems', call),
      restoreItems: (call) => void this.streamItems('RestoreItems', call),
      planBase: (call) => void this.streamPlanBase(call),
      reportPlan: this.unary('ReportPlan', async (req) => {
        // Only the agent's own answer counts (the waiter checks the request was asked of this agent).
        await this.agents.getById(req.agentId);
        return { accepted: await this.plans.receive(req) };
      }),
      heartbeat: this.unary('Heartbeat', async (req) => {
        const sessionValid = await this.agents.heartbeat(req);
        if (sessionValid) {
          // A failed reconcile must not make a live agent look dead: log it, answer the beat.
          await this.liveness
            .reconcile(req.agentId, req.runningJobIds)
            .catch((err: unknown) => this.log.error({ err, agentId: req.agentId }, 'job reconcile failed'));
        }
        return { sessionValid };
      }),
    };
  }

  /** Streams a backup run's base state, waiting for the client to drain between pages. */
  private async streamIncrementalBase(call: ServerWritableStream<IncrementalBaseRequest, IncrementalBaseResponse>): Promise<void> {
    const { agentId, jobId, root } = call.request;
    try {
      if (!isUuid(agentId)) throw AgentErrors.idNotFound(agentId);
      await this.jobs.assertOwnedBy(jobId, agentId);
      for await (const message of this.incrementalBase.stream(jobId, root)) {
        if (call.cancelled) return;
        if (!call.write(message)) await new Promise<void>((resolve) => call.once('drain', resolve));
      }
      call.end();
    } catch (err) {
      call.emit(
        'error',
        toGrpcError(err, (e) => this.log.error({ err: e, rpc: 'IncrementalBase' }, 'IncrementalBase failed')),
      );
    }
  }

  /** Streams the base a backup plan of the agent's own host compares with (no job: the host is the agent's name). */
  private async streamPlanBase(call: ServerWritableStream<PlanBaseRequest, PlanBaseResponse>): Promise<void> {
    const { agentId, root, level, pool } = call.request;
    try {
      const agent = await this.agents.getById(agentId);
      const requested = level === IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL ? 'INCREMENTAL' : 'FULL';
      for await (const page of this.incrementalBase.streamForPlan(agent.name, root, requested, pool || null)) {
        if (call.cancelled) return;
        if (!call.write({ page })) await new Promise<void>((resolve) => call.once('drain', resolve));
      }
      call.end();
    } catch (err) {
      call.emit(
        'error',
        toGrpcError(err, (e) => this.log.error({ err: e, rpc: 'PlanBase' }, 'PlanBase failed')),
      );
    }
  }

  /**
   * Streams the items of one tape of a verify job (VerifyItems) or a restore (RestoreItems), page by
   * page, waiting for the agent to drain.
   */
  private async streamItems(
    rpc: 'VerifyItems' | 'RestoreItems',
    call: ServerWritableStream<VerifyItemsRequest | RestoreItemsRequest, VerifyItemsResponse | RestoreItemsResponse>,
  ): Promise<void> {
    const { agentId, jobId, attempt, barcode } = call.request;
    try {
      if (!isUuid(agentId)) throw AgentErrors.idNotFound(agentId);
      const pages = rpc === 'VerifyItems' ? this.jobs.verifyItems(jobId, agentId, attempt, barcode) : this.jobs.restoreItems(jobId, agentId, attempt, barcode);
      for await (const items of pages) {
        if (call.cancelled) return;
        if (!call.write({ items })) await new Promise<void>((resolve) => call.once('drain', resolve));
      }
      call.end();
    } catch (err) {
      call.emit(
        'error',
        toGrpcError(err, (e) => this.log.error({ err: e, rpc }, `${rpc} failed`)),
      );
    }
  }

  private async openCommands(call: ServerWritableStream<CommandsRequest, CommandsResponse>): Promise<void> {
    const { agentId, sessionId } = call.request;
    try {
      if (!(await this.agents.isCurrentSession(agentId, sessionId))) throw AgentErrors.sessionInvalid(agentId);
    } catch (err) {
      call.emit(
        'error',
        toGrpcError(err, (e) => this.log.error({ err: e, rpc: 'Commands' }, 'Commands failed')),
      );
      return;
    }
    if (call.cancelled) return;
    try {
      await this.router.streamOpened(agentId, sessionId, call);
    } catch (err) {
      this.router.streamClosed(agentId, sessionId, call).catch(() => {});
      call.emit(
        'error',
        toGrpcError(err, (e) => this.log.error({ err: e, rpc: 'Commands' }, 'Commands failed')),
      );
      return;
    }
    let open = true;
    const drop = () => {
      if (!open) return;
      open = false;
      this.router.streamClosed(agentId, sessionId, call).then(
        (current) => current && this.log.info({ agentId, sessionId }, 'command stream closed'),
        (err: unknown) => this.log.warn({ err, agentId }, 'could not record that a command stream closed'),
      );
    };
    if (call.cancelled) return drop();
    call.on('cancelled', drop);
    call.on('close', drop);
    call.on('error', drop);
    call.on('finish', drop);
    this.log.info({ agentId, sessionId }, 'command stream opened');
    this.dispatcher.kick();
  }

  private unary<Req, Res>(name: string, handle: (req: Req) => Promise<Res>) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      handle(call.request).then(
        (res) => callback(null, res),
        (err: unknown) => {
          const grpcErr = toGrpcError(err, (e) => this.log.error({ err: e, rpc: name }, `${name} failed`));
          if (grpcErr.code !== status.INTERNAL) this.log.warn({ rpc: name, details: grpcErr.details }, `${name} refused`);
          callback(grpcErr, null);
        },
      );
    };
  }
}
