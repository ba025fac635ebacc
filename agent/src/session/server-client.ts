// The agent's calls to the catalog server: promise-returning wrappers around the generated gRPC
// client, each with its own deadline and retry policy. Every report is idempotent on the server, so
// retrying a call whose answer was lost is always safe.
import { Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  AgentServiceClient,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type NextTapeRequest,
  type NextTapeResponse,
  type RegisterRequest,
  type RegisterResponse,
  type ReportFilesRequest,
  type ReportFilesResponse,
  type ReportJobEventRequest,
  type ReportJobEventResponse,
  type ReportRebuildRequest,
  type ReportRebuildResponse,
  type ReportPlanRequest,
  type ReportPlanResponse,
  type ReportInventoryRequest,
  type ReportInventoryResponse,
  type RequestTapeRequest,
  type RequestTapeResponse,
  type RenewCertificateRequest,
  type RenewCertificateResponse,
} from '@ferrite/proto';
import pRetry, { AbortError } from 'p-retry';
import type { Logger } from '../logger.js';

/** Errors that retrying cannot fix: the server understood the call and refused it. */
const PERMANENT = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.PERMISSION_DENIED,
  status.FAILED_PRECONDITION,
  status.UNAUTHENTICATED,
  status.ALREADY_EXISTS,
  status.UNIMPLEMENTED,
]);

/**
 * The catalog server's refusal of a call, from the `ferrite-code` trailer it sends with every
 * error it understood (e.g. LABEL_MISMATCH, INVALID_RECORD): its stable code and message. Null for
 * anything else (a network failure, a bug).
 */
export function serverRefusal(err: unknown): { code: string; message: string } | null {
  const e = err as Partial<ServiceError> | null;
  const code = e?.metadata instanceof Metadata ? e.metadata.get('ferrite-code')[0] : undefined;
  if (typeof code !== 'string' || !code || code === 'INTERNAL_ERROR') return null;
  const details = e?.details ?? '';
  return { code, message: `the catalog server refused: ${details.startsWith(`${code}: `) ? details.slice(code.length + 2) : details || code}` };
}

/** The trailer by which the server tells the agent what to do about a refusal ("register"). */
export const FERRITE_ACTION_KEY = 'ferrite-action';

/**
 * Whether the server refused because it does not know this agent's session (it restarted and lost
 * it, or another registration took over): the agent registers again instead of giving up. Decided
 * on the server's word (the `ferrite-action: register` trailer, or the SESSION_INVALID code from
 * servers before it), not on the gRPC status, which is FAILED_PRECONDITION for many refusals.
 */
export function mustRegisterAgain(err: unknown): boolean {
  const md = (err as Partial<ServiceError> | null)?.metadata;
  if (md instanceof Metadata && md.get(FERRITE_ACTION_KEY)[0] === 'register') return true;
  return serverRefusal(err)?.code === 'SESSION_INVALID';
}

export function isPermanentGrpcError(err: unknown): boolean {
  return typeof (err as ServiceError)?.code === 'number' && PERMANENT.has((err as ServiceError).code);
}

export interface RetryPolicy {
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  deadlineMs: number;
}

/** Progress and log lines may be dropped after a short while; the final report of a job must not. */
export const RETRY = {
  quick: { retries: 3, minTimeoutMs: 200, maxTimeoutMs: 2000, deadlineMs: 10_000 },
  report: { retries: 12, minTimeoutMs: 500, maxTimeoutMs: 15_000, deadlineMs: 60_000 },
  final: { retries: 1000, minTimeoutMs: 1000, maxTimeoutMs: 30_000, deadlineMs: 60_000 },
} satisfies Record<string, RetryPolicy>;

type Unary<Req, Res> = (req: Req, md: Metadata, opts: { deadline: Date }, cb: (err: ServiceError | null, res: Res) => void) => unknown;

/** How the agent proves itself and checks the server: its certificate, and the name the server's
 *  certificate must carry (identity/tls-credentials.ts). */
export interface ServerTls {
  credentials: ChannelCredentials;
  serverName: string;
}

/** A renewed certificate's predecessor channel stays open this long, for calls already on it. */
const OLD_CHANNEL_GRACE_MS = 10 * 60_000;

export class ServerClient {
  private client: AgentServiceClient;

  constructor(
    readonly address: string,
    tls: ServerTls,
    private readonly log: Logger,
  ) {
    this.client = this.connect(tls);
  }

  private connect(tls: ServerTls): AgentServiceClient {
    return new AgentServiceClient(this.address, tls.credentials, {
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      'grpc.ssl_target_name_override': tls.serverName,
      'grpc.default_authority': tls.serverName,
    });
  }

  /** Calls from now on use a new certificate (renewed); the old channel closes after a while. */
  useTls(tls: ServerTls): void {
    const old = this.client;
    this.client = this.connect(tls);
    setTimeout(() => old.close(), OLD_CHANNEL_GRACE_MS).unref();
  }

  get raw(): AgentServiceClient {
    return this.client;
  }

  register(req: RegisterRequest): Promise<RegisterResponse> {
    return this.call('register', req, RETRY.quick);
  }

  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.call('heartbeat', req, { ...RETRY.quick, retries: 0, deadlineMs: 5000 });
  }

  reportJobEvent(req: ReportJobEventRequest, policy: RetryPolicy = RETRY.report): Promise<ReportJobEventResponse> {
    return this.call('reportJobEvent', req, policy);
  }

  reportFiles(req: ReportFilesRequest, policy: RetryPolicy = RETRY.final): Promise<ReportFilesResponse> {
    return this.call('reportFiles', req, policy);
  }

  reportRebuild(req: ReportRebuildRequest, policy: RetryPolicy = RETRY.final): Promise<ReportRebuildResponse> {
    return this.call('reportRebuild', req, policy);
  }

  /** A backup's next tape for one copy (NextTape); UNIMPLEMENTED from a server older than the call. */
  nextTape(req: NextTapeRequest, policy: RetryPolicy = RETRY.report): Promise<NextTapeResponse> {
    return this.call('nextTape', req, policy);
  }

  /** The answer to a PlanBackup command; the server drops it when nobody waits for it any more. */
  reportPlan(req: ReportPlanRequest, policy: RetryPolicy = RETRY.quick): Promise<ReportPlanResponse> {
    return this.call('reportPlan', req, policy);
  }

  /** What the agent's drives hold changed by itself (a standalone drive): the inventory, no new session. */
  reportInventory(req: ReportInventoryRequest, policy: RetryPolicy = RETRY.quick): Promise<ReportInventoryResponse> {
    return this.call('reportInventory', req, policy);
  }

  /** A job on a standalone drive asks an operator for a cartridge (done false) or has it (done true). */
  requestTape(req: RequestTapeRequest, policy: RetryPolicy = RETRY.report): Promise<RequestTapeResponse> {
    return this.call('requestTape', req, policy);
  }

  /** A certificate for a new key, before the current one expires (identity/renewal.ts). */
  renewCertificate(req: RenewCertificateRequest, policy: RetryPolicy = RETRY.report): Promise<RenewCertificateResponse> {
    return this.call('renewCertificate', req, policy);
  }

  close(): void {
    this.client.close();
  }

  /** Calls the generated client's method `name`, on the current channel at each attempt. */
  private call<Req, Res>(name: Extract<keyof AgentServiceClient, string>, req: Req, policy: RetryPolicy): Promise<Res> {
    return pRetry(
      () =>
        new Promise<Res>((resolve, reject) => {
          const fn = (this.client[name] as Unary<Req, Res>).bind(this.client);
          fn(req, new Metadata(), { deadline: new Date(Date.now() + policy.deadlineMs) }, (err, res) => {
            if (!err) return resolve(res);
            reject(isPermanentGrpcError(err) ? new AbortError(err) : err);
          });
        }),
      {
        retries: policy.retries,
        minTimeout: policy.minTimeoutMs,
        maxTimeout: policy.maxTimeoutMs,
        randomize: true,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0) this.log.warn({ call: name, attempt: attemptNumber, err: error.message }, 'server call failed; retrying');
        },
      },
    );
  }
}
