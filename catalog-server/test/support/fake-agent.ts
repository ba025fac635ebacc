// A scripted stand-in for the agent in server tests: the real gRPC client from @ferrite/proto over
// loopback, with promise wrappers and a queue of the commands the server pushed.
import type { ChannelCredentials, ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import {
  AgentServiceClient,
  HeartbeatRequest,
  JobEventType,
  ReportFilesRequest,
  ReportJobEventRequest,
  type CommandsResponse,
  type DeepPartial,
  type HeartbeatResponse,
  type RegisterRequest,
  type ReportFilesResponse,
  type ReportJobEventResponse,
} from '@ferrite/proto';
import { agentChannelCredentials, enrollAgent, SERVER_NAME_OPTIONS, type ServerUnderTest } from './agent-credentials.js';

export class FakeAgent {
  private connection: AgentServiceClient | null = null;
  agentId = '';
  sessionId = '';
  private stream: ClientReadableStream<CommandsResponse> | null = null;
  private readonly inbox: CommandsResponse[] = [];
  private waiters: ((c: CommandsResponse) => void)[] = [];
  private seqs = new Map<string, number>();
  /** Jobs assigned and not yet reported ended: what heartbeats list as running. */
  readonly running = new Set<string>();
  private beat: NodeJS.Timeout | null = null;
  lastBeatValid: boolean | null = null;

  /**
   * An agent of `server`: it enrols under the name of its first registration (a real certificate
   * from the server's CA), unless `channelCredentials` says how it dials instead (an impostor).
   */
  constructor(
    private readonly server: ServerUnderTest,
    private channelCredentials?: ChannelCredentials,
  ) {
    if (channelCredentials) this.connection = new AgentServiceClient(server.grpcAddress, channelCredentials, SERVER_NAME_OPTIONS);
  }

  get client(): AgentServiceClient {
    if (!this.connection) throw new Error('the fake agent has no certificate yet: register first');
    return this.connection;
  }

  async register(req: RegisterRequest): Promise<void> {
    if (!this.connection) {
      const identity = await enrollAgent(this.server, req.agentName);
      this.channelCredentials = agentChannelCredentials(identity.caPem, identity);
      this.connection = new AgentServiceClient(this.server.grpcAddress, this.channelCredentials, SERVER_NAME_OPTIONS);
    }
    const res = await call<{ agentId: string; sessionId: string }>((cb) => this.client.register(req, cb));
    this.agentId = res.agentId;
    this.sessionId = res.sessionId;
  }

  /** Opens the command stream and waits until the server has it (first dispatch pass aside). */
  async openCommands(): Promise<void> {
    const stream = this.client.commands({ agentId: this.agentId, sessionId: this.sessionId });
    this.stream = stream;
    stream.on('data', (c: CommandsResponse) => {
      if (c.assignJob) this.running.add(c.assignJob.jobId);
      const w = this.waiters.shift();
      if (w) w(c);
      else this.inbox.push(c);
    });
    stream.on('error', () => {});
    await new Promise((r) => setTimeout(r, 150));
  }

  nextCommand(timeoutMs = 10_000): Promise<CommandsResponse> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('no command from the server in time'));
      }, timeoutMs);
      const waiter = (c: CommandsResponse) => {
        clearTimeout(timer);
        resolve(c);
      };
      this.waiters.push(waiter);
    });
  }

  pendingCommands(): number {
    return this.inbox.length;
  }

  /** Reports the job's next event (seq counts per job), or a given seq to simulate a retry. */
  event(jobId: string, type: JobEventType, over: DeepPartial<ReportJobEventRequest> = {}): Promise<ReportJobEventResponse> {
    const seq = over.seq ?? (this.seqs.get(jobId) ?? 0) + 1;
    if (over.seq === undefined) this.seqs.set(jobId, seq);
    const req = ReportJobEventRequest.fromPartial<DeepPartial<ReportJobEventRequest>>({
      agentId: this.agentId,
      jobId,
      attempt: 1,
      type,
      at: new Date(),
      ...over,
      seq,
    });
    if ([JobEventType.JOB_EVENT_TYPE_COMPLETED, JobEventType.JOB_EVENT_TYPE_FAILED, JobEventType.JOB_EVENT_TYPE_CANCELLED].includes(type)) {
      this.running.delete(jobId);
    }
    return call((cb) => this.client.reportJobEvent(req, cb));
  }

  files(jobId: string, batchSeq: number): Promise<ReportFilesResponse> {
    const req = ReportFilesRequest.fromPartial({ agentId: this.agentId, jobId, attempt: 1, batchSeq, files: [] });
    return call((cb) => this.client.reportFiles(req, cb));
  }

  heartbeat(sessionId = this.sessionId): Promise<HeartbeatResponse> {
    const req = HeartbeatRequest.fromPartial({ agentId: this.agentId, sessionId, runningJobIds: [...this.running] });
    return call((cb) => this.client.heartbeat(req, cb));
  }

  startBeating(intervalMs: number): void {
    this.stopBeating();
    this.beat = setInterval(() => {
      this.heartbeat().then(
        (r) => (this.lastBeatValid = r.sessionValid),
        () => (this.lastBeatValid = null),
      );
    }, intervalMs);
  }

  stopBeating(): void {
    if (this.beat) clearInterval(this.beat);
    this.beat = null;
  }

  /** Resolves when the server ends the command stream. */
  streamEnded(): Promise<void> {
    const stream = this.stream;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once('end', () => resolve());
      stream.once('error', () => resolve());
      stream.once('close', () => resolve());
    });
  }

  close(): void {
    this.stopBeating();
    this.stream?.cancel();
    this.connection?.close();
  }
}

function call<Res>(invoke: (cb: (err: ServiceError | null, res: Res) => void) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => invoke((err, res) => (err ? reject(err) : resolve(res))));
}
