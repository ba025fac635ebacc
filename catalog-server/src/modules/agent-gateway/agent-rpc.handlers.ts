// The AgentService implementation: thin edges that check the caller and hand each call to one
// service method. Errors leave through toGrpcError only.
//
// Every AgentService call first proves who calls: the client certificate (verified against the
// agents' CA by the TLS handshake) must be on record for an agent (AgentIdentityService), and the
// agent id the request names must be that agent's, so an agent can neither act as another nor
// report for another's job. Register must carry the certificate's name. Only
// AgentEnrollmentService.Enroll is open to a client without a certificate.
import { Inject, Injectable } from '@nestjs/common';
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { IncrementalLevel } from '@ferrite/proto';
import type {
  AgentEnrollmentServiceServer,
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
import { JobErrors } from '../jobs/lifecycle/jobs.errors.js';
import { RebuildService } from '../jobs/rebuild/rebuild.service.js';
import { NextTapeService } from '../jobs/dispatch/next-tape.service.js';
import { PlanRequestsService } from '../jobs/dispatch/plan-requests.service.js';
import { AgentIdentityErrors } from '../agent-identity/agent-identity.errors.js';
import { AgentIdentityService, type AgentIdentity } from '../agent-identity/agent-identity.service.js';
import { AuditService } from '../auth/audit.service.js';
import { FerriteError } from '../../common/errors.js';
import { toGrpcError } from './grpc-status.mapper.js';
import { ServerMetrics } from '../metrics/server-metrics.js';

/** What the handlers need of a grpc-js call: who is on the other end. */
interface CallerCall {
  request: unknown;
  getPeer(): string;
  getAuthContext(): { sslPeerCertificate?: import('node:tls').PeerCertificate };
}

/** Identity refusals worth an audit line (an agent acting as another, a revoked one); at most one a
 *  minute per certificate and code, so a misbehaving client cannot flood the log. */
const AUDITED_REFUSALS = new Set(['AGENT_IDENTITY_MISMATCH', 'CERTIFICATE_REVOKED']);
const AUDIT_REFUSAL_EVERY_MS = 60_000;

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
    private readonly identities: AgentIdentityService,
    private readonly audit: AuditService,
    private readonly metrics: ServerMetrics,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'agent-rpc' });
  }

  /** The object grpc-js serves. */
  implementation(): AgentServiceServer {
    return {
      register: this.unary('Register', async (req, caller) => {
        if (req.agentName !== caller.name) throw AgentIdentityErrors.mismatch(caller.name, req.agentName);
        const res = await this.agents.register(req);
        await this.waiting.tapesArrived(res.agentId);
        this.dispatcher.kick();
        return res;
      }),
      commands: (call) => void this.openCommands(call),
      reportJobEvent: this.unary('ReportJobEvent', (req) => this.jobEvents.report(req)),
      reportFiles: this.unary('ReportFiles', async (req) => {
        // Checked here too, so a batch for another agent's job is refused before any ingest work.
        await this.jobs.assertOwnedBy(req.jobId, req.agentId);
        return this.metrics.timeIngest(() =>
          this.files.ingestBatch({
            jobId: req.jobId,
            attempt: req.attempt,
            batchSeq: req.batchSeq,
            agentId: req.agentId,
            records: req.files,
            manifestPath: req.manifestPath,
          }),
        );
      }),
      reportRebuild: this.unary('ReportRebuild', (req) => this.rebuild.report(req)),
      nextTape: this.unary('NextTape', (req) => this.nextTapes.nextTape(req)),
      reportInventory: this.unary('ReportInventory', async (req) => {
        // An operator changed a standalone drive's cartridge: the catalog follows it, requests for
        // the tapes now there are satisfied and their jobs dispatched.
        if (!(await this.agents.isCurrentSession(req.agentId, req.sessionId))) return { sessionValid: false };
        if (req.inventory) await this.agents.applyInventory(req.agentId, req.inventory);
        await this.waiting.tapesArrived(req.agentId);
        this.dispatcher.kick();
        return { sessionValid: true };
      }),
      requestTape: this.unary('RequestTape', async (req) => {
        if (!isUuid(req.jobId)) throw JobErrors.notFound(req.jobId);
        if (!req.barcode || !req.driveName) throw JobErrors.invalidEvent('RequestTape needs a barcode and a drive', { jobId: req.jobId });
        await this.waiting.tapeRequested(req);
        return {};
      }),
      incrementalBase: (call) => void this.serveStream('IncrementalBase', call, () => this.incrementalBasePages(call.request)),
      verifyItems: (call) => void this.serveStream('VerifyItems', call, () => this.itemPages(call.request, 'verify')),
      restoreItems: (call) => void this.serveStream('RestoreItems', call, () => this.itemPages(call.request, 'restore')),
      planBase: (call) => void this.serveStream('PlanBase', call, () => this.planBasePages(call.request)),
      // Only the agent's own answer counts (the caller check proved the agent id is the caller's;
      // the waiter checks the request was asked of this agent).
      reportPlan: this.unary('ReportPlan', async (req) => ({ accepted: await this.plans.receive(req) })),
      renewCertificate: this.unary(
        'RenewCertificate',
        async (req, caller, call) => {
          const issued = await this.identities.renew(caller, req.csrPem, call.getPeer());
          return { certificatePem: issued.pem, caCertificatePem: this.identities.ca.certificatePem, notAfter: issued.notAfter };
        },
        { bindsAgentId: false },
      ),
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

  /**
   * Serves a server stream: writes each message `messages` yields, waiting for the agent to drain
   * between them (HTTP/2 flow control keeps the pages it has not read out of our memory), and ends
   * the call with the gRPC status of any failure.
   */
  private async serveStream<Res>(rpc: string, call: ServerWritableStream<unknown, Res>, messages: () => AsyncIterable<Res>): Promise<void> {
    try {
      await this.caller(rpc, call);
      for await (const message of messages()) {
        if (call.cancelled) return;
        if (!call.write(message)) await new Promise<void>((resolve) => call.once('drain', resolve));
      }
      call.end();
    } catch (err) {
      call.emit(
        'error',
        toGrpcError(err, (e) => this.log.error({ err: e, rpc }, `${rpc} failed`)),
      );
    }
  }

  /** A backup run's base state, for the agent's own job. */
  private async *incrementalBasePages({ agentId, jobId, root }: IncrementalBaseRequest): AsyncGenerator<IncrementalBaseResponse> {
    await this.jobs.assertOwnedBy(jobId, agentId);
    yield* this.incrementalBase.stream(jobId, root);
  }

  /** The base a backup plan of the agent's own host compares with (no job: the host is the agent's name). */
  private async *planBasePages({ agentId, root, level, pool }: PlanBaseRequest): AsyncGenerator<PlanBaseResponse> {
    const agent = await this.agents.getById(agentId);
    const requested = level === IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL ? 'INCREMENTAL' : 'FULL';
    for await (const page of this.incrementalBase.streamForPlan(agent.name, root, requested, pool || null)) yield { page };
  }

  /** The items of one tape of the agent's verify job (VerifyItems) or restore (RestoreItems), page by page. */
  private async *itemPages(
    { agentId, jobId, attempt, barcode }: VerifyItemsRequest | RestoreItemsRequest,
    of: 'verify' | 'restore',
  ): AsyncGenerator<VerifyItemsResponse | RestoreItemsResponse> {
    const pages = of === 'verify' ? this.jobs.verifyItems(jobId, agentId, attempt, barcode) : this.jobs.restoreItems(jobId, agentId, attempt, barcode);
    for await (const items of pages) yield { items };
  }

  private async openCommands(call: ServerWritableStream<CommandsRequest, CommandsResponse>): Promise<void> {
    const { agentId, sessionId } = call.request;
    try {
      await this.caller('Commands', call);
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

  /** The open service: an agent without a certificate trades an enrolment token for one. */
  enrollment(): AgentEnrollmentServiceServer {
    return {
      enroll: (call, callback) =>
        this.respond(
          'Enroll',
          this.identities.enroll(call.request.token, call.request.csrPem, call.request.agentName, call.getPeer()).then(({ agentName, certificate }) => ({
            agentName,
            certificatePem: certificate.pem,
            caCertificatePem: this.identities.ca.certificatePem,
            notAfter: certificate.notAfter,
          })),
          callback,
        ),
    };
  }

  /**
   * The agent behind the call's client certificate; when the request names an agent id (every call
   * but Register and RenewCertificate), it must be that agent's. Throws UNAUTHENTICATED,
   * CERTIFICATE_REVOKED or AGENT_IDENTITY_MISMATCH.
   */
  private async caller(rpc: string, call: CallerCall, bindsAgentId = true): Promise<AgentIdentity> {
    let identity: AgentIdentity | null = null;
    try {
      identity = await this.identities.authenticate(call.getAuthContext().sslPeerCertificate);
      if (bindsAgentId) {
        const agentId = (call.request as { agentId?: unknown }).agentId;
        if (typeof agentId !== 'string' || !isUuid(agentId)) throw AgentErrors.idNotFound(String(agentId));
        const name = await this.agentNameOf(agentId);
        if (name !== identity.name) throw AgentIdentityErrors.mismatch(identity.name, name);
      }
      return identity;
    } catch (err) {
      if (err instanceof FerriteError && AUDITED_REFUSALS.has(err.code)) await this.auditRefusal(rpc, call, identity, err);
      throw err;
    }
  }

  /** Agent ids never change name, so what was read once stays true. */
  private readonly agentNames = new Map<string, string>();
  private lastAudited = new Map<string, number>();

  private async agentNameOf(agentId: string): Promise<string> {
    let name = this.agentNames.get(agentId);
    if (name === undefined) {
      name = (await this.agents.getById(agentId)).name;
      if (this.agentNames.size >= 10_000) this.agentNames.clear();
      this.agentNames.set(agentId, name);
    }
    return name;
  }

  private async auditRefusal(rpc: string, call: CallerCall, identity: AgentIdentity | null, err: FerriteError): Promise<void> {
    const key = `${call.getAuthContext().sslPeerCertificate?.fingerprint256 ?? call.getPeer()} ${err.code}`;
    const now = Date.now();
    if ((this.lastAudited.get(key) ?? 0) > now - AUDIT_REFUSAL_EVERY_MS) return;
    if (this.lastAudited.size >= 10_000) this.lastAudited = new Map();
    this.lastAudited.set(key, now);
    await this.audit.record({
      operator: identity ? `agent:${identity.name}` : null,
      tokenId: null,
      address: call.getPeer(),
      operation: `agent.${rpc}`,
      arguments: null,
      result: err.code,
      message: err.message,
    });
  }

  private unary<Req, Res>(
    name: string,
    handle: (req: Req, caller: AgentIdentity, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
    options: { bindsAgentId?: boolean } = {},
  ) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void =>
      this.respond(
        name,
        this.caller(name, call, options.bindsAgentId ?? name !== 'Register').then((caller) => handle(call.request, caller, call)),
        callback,
      );
  }

  private respond<Res>(name: string, work: Promise<Res>, callback: sendUnaryData<Res>): void {
    work.then(
      (res) => callback(null, res),
      (err: unknown) => {
        const grpcErr = toGrpcError(err, (e) => this.log.error({ err: e, rpc: name }, `${name} failed`));
        if (grpcErr.code !== status.INTERNAL) this.log.warn({ rpc: name, details: grpcErr.details }, `${name} refused`);
        callback(grpcErr, null);
      },
    );
  }
}
