// Messages between catalog-server replicas that share one PostgreSQL: NOTIFY to publish, one
// dedicated LISTEN connection to receive. Used where a replica must reach state another replica
// holds in memory (an agent's command stream, a client's GraphQL subscription). Delivery is
// best-effort (a message sent while a listener reconnects is lost), so every user of the bus also has
// a path that converges without it (dispatch polls, heartbeats reconcile, subscriptions re-read).
// Payloads must stay under PostgreSQL's 8,000-byte NOTIFY limit: send ids and re-read rows.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { CONNECTION_TIMEOUT_MS } from '@ferrite/db';
import { LOGGER, type Logger } from '../../common/logger.js';
import { DATABASE_URL } from '../../database/prisma.service.js';

/** Every channel a replica listens on; a handler for any other name is a programming error. */
export const CLUSTER_CHANNELS = {
  /** An agent command for the replica that holds the agent's stream: { agentId, jobId, ... }. */
  agentCommand: 'ferrite_agent_command',
  /** A job row changed: { jobId }. Replicas with subscribers to it re-read and push. */
  jobUpdated: 'ferrite_job_updated',
  /** An agent's answer to a backup plan, for the replica whose planBackup waits for it: { requestId, ... }. */
  planAnswer: 'ferrite_plan_answer',
  /** An admin revoked an agent: { agentName }. Replicas forget its certificates and end its stream. */
  agentRevoked: 'ferrite_agent_revoked',
} as const;

export type ClusterChannel = (typeof CLUSTER_CHANNELS)[keyof typeof CLUSTER_CHANNELS];
type Handler = (payload: Record<string, unknown>) => void | Promise<void>;

const RECONNECT_MS = 1000;

@Injectable()
export class ClusterBus implements OnModuleInit, OnModuleDestroy {
  /** Names this process among the replicas: lease owner, stream location, firing claims. */
  readonly replicaId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly log: Logger;
  private readonly handlers = new Map<ClusterChannel, Set<Handler>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private listener: pg.Client | null = null;
  private publisher: pg.Pool;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    @Inject(DATABASE_URL) private readonly url: string,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'cluster-bus', replica: this.replicaId });
    this.publisher = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
    // An idle publisher connection lost (PostgreSQL restarted) is replaced at the next publish.
    this.publisher.on('error', (err) => this.log.warn({ err: err.message }, 'a cluster publisher connection was lost'));
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const listener = this.listener;
    this.listener = null;
    await Promise.allSettled([listener?.end(), this.publisher.end()]);
  }

  /** Registers a handler; returns the function that removes it. */
  on(channel: ClusterChannel, handler: Handler): () => void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Called after the listener came back from a lost connection (messages may have been missed). */
  onReconnect(handler: () => void): void {
    this.reconnectHandlers.add(handler);
  }

  /** Sends to every replica, this one included. Call after the transaction that made the change. */
  async publish(channel: ClusterChannel, payload: Record<string, unknown>): Promise<void> {
    const text = JSON.stringify({ ...payload, from: this.replicaId });
    if (Buffer.byteLength(text) > 7900) throw new Error(`cluster message on ${channel} is too large (${text.length} bytes)`);
    await this.publisher.query('SELECT pg_notify($1, $2)', [channel, text]);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: `ferrite-bus ${this.replicaId}`.slice(0, 63) });
    client.on('notification', (msg) => this.deliver(msg.channel as ClusterChannel, msg.payload));
    const lost = (err?: unknown) => {
      if (this.listener !== client) return;
      this.listener = null;
      client.end().catch(() => {});
      if (this.stopped) return;
      this.log.warn({ err }, 'cluster listener lost its connection; reconnecting');
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    for (const channel of Object.values(CLUSTER_CHANNELS)) await client.query(`LISTEN ${channel}`);
    this.listener = client;
  }

  private scheduleReconnect(): void {
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.stopped) return;
      this.connect().then(
        () => {
          this.log.info('cluster listener reconnected');
          for (const h of this.reconnectHandlers) h();
        },
        (err: unknown) => {
          this.log.warn({ err }, 'cluster listener could not reconnect; retrying');
          this.scheduleReconnect();
        },
      );
    }, RECONNECT_MS);
    this.retry.unref();
  }

  private deliver(channel: ClusterChannel, raw: string | undefined): void {
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(raw ?? '{}') as Record<string, unknown>;
    } catch (err) {
      this.log.warn({ err, channel }, 'ignoring a malformed cluster message');
      return;
    }
    for (const handler of this.handlers.get(channel) ?? []) {
      Promise.resolve()
        .then(() => handler(payload))
        .catch((err: unknown) => this.log.error({ err, channel }, 'cluster message handler failed'));
    }
  }
}
