// /metrics and the readiness check. Catalog state is read at scrape time (one snapshot, a few cheap
// queries) into gauges, and into counters for what only grows (bytes moved, schedule firings): the
// catalog is the record, so the numbers survive restarts and agree between replicas.
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { LOGGER, type Logger } from '../../common/logger.js';
import { MetricsRepository, type CatalogSnapshot } from './metrics.repository.js';
import { ServerMetrics } from './server-metrics.js';

/** Readiness answers within this, even when PostgreSQL does not answer at all. */
const READY_TIMEOUT_MS = 3000;

/** Which way a job's bytes went, by kind: a backup writes tape, the others read it. */
const DIRECTION: Partial<Record<string, 'written' | 'read'>> = { BACKUP: 'written', RESTORE: 'read', VERIFY: 'read', REBUILD: 'read' };

@Injectable()
export class MetricsService {
  private readonly log: Logger;
  private readonly jobs;
  private readonly queued;
  private readonly queueDepth;
  private readonly bytes;
  private readonly files;
  private readonly requestsOpen;
  private readonly agentOnline;
  private readonly agentsOnline;
  private readonly drives;
  private readonly tapes;
  private readonly tapeUsed;
  private readonly tapeCapacity;
  private readonly firings;
  private readonly pool;
  private wasReady = true;

  constructor(
    private readonly metrics: ServerMetrics,
    private readonly repo: MetricsRepository,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'metrics' });
    const registers = [metrics.registry];
    this.jobs = new Gauge({ name: 'ferrite_jobs', help: 'Jobs in the catalog by kind and status', labelNames: ['kind', 'status'] as const, registers });
    this.queued = new Gauge({
      name: 'ferrite_jobs_queued',
      help: 'Queued jobs by agent and why they wait: agent_offline, operator_request (a cartridge to insert), waiting (no drive or tape yet), none (not tried yet)',
      labelNames: ['agent', 'reason'] as const,
      registers,
    });
    this.queueDepth = new Gauge({ name: 'ferrite_job_queue_depth', help: 'Queued jobs', registers });
    this.bytes = new Counter({
      name: 'ferrite_job_bytes_total',
      help: 'Bytes jobs moved per agent (the latest progress of every job, from the catalog); direction written for backups, read for restores, verifies and rebuilds',
      labelNames: ['agent', 'kind', 'direction'] as const,
      registers,
    });
    this.files = new Counter({
      name: 'ferrite_job_files_total',
      help: 'Files jobs moved per agent (the latest progress of every job, from the catalog)',
      labelNames: ['agent', 'kind', 'direction'] as const,
      registers,
    });
    this.requestsOpen = new Gauge({
      name: 'ferrite_operator_requests_open',
      help: 'Operator requests waiting for a person (e.g. a cartridge to insert)',
      registers,
    });
    this.agentOnline = new Gauge({ name: 'ferrite_agent_online', help: '1 when the agent is online', labelNames: ['agent'] as const, registers });
    this.agentsOnline = new Gauge({ name: 'ferrite_agents_online', help: 'Agents online', registers });
    this.drives = new Gauge({ name: 'ferrite_drives', help: 'Drives by agent and state', labelNames: ['agent', 'state'] as const, registers });
    this.tapes = new Gauge({ name: 'ferrite_tapes', help: 'Tapes by state and pool ("" for none)', labelNames: ['state', 'pool'] as const, registers });
    this.tapeUsed = new Gauge({
      name: 'ferrite_tape_used_bytes',
      help: 'Bytes written on tapes, by state and pool',
      labelNames: ['state', 'pool'] as const,
      registers,
    });
    this.tapeCapacity = new Gauge({
      name: 'ferrite_tape_capacity_bytes',
      help: 'Capacity of tapes, by state and pool',
      labelNames: ['state', 'pool'] as const,
      registers,
    });
    this.firings = new Counter({
      name: 'ferrite_schedule_firings_total',
      help: 'Schedule firings in the catalog by schedule and outcome (STARTED, an error code, IN_PROGRESS)',
      labelNames: ['schedule', 'outcome'] as const,
      registers,
    });
    this.pool = new Gauge({
      name: 'ferrite_db_pool_connections',
      help: "Connections of the server's plain PostgreSQL pool (bulk ingest, file search) by state",
      labelNames: ['pool', 'state'] as const,
      registers,
    });
  }

  get contentType(): string {
    return this.metrics.registry.contentType;
  }

  /** The whole exposition; throws (a catalog error) when the catalog cannot be read. */
  async render(): Promise<string> {
    const snapshot = await this.repo.snapshot();
    this.apply(snapshot);
    return this.metrics.registry.metrics();
  }

  /** Database reachable and every migration of this build applied. Never throws. */
  async ready(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the database within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    try {
      const missing = await Promise.race([this.repo.missingMigrations(), timeout]);
      if (missing.length) throw new Error(`migrations not applied: ${missing.join(', ')}`);
      if (!this.wasReady) this.log.info('ready again: the catalog database answers');
      this.wasReady = true;
      return true;
    } catch (err) {
      if (this.wasReady) this.log.warn({ err: (err as Error).message }, 'not ready: /readyz answers 503');
      this.wasReady = false;
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Replaces every catalog metric at once (no await in between, so two scrapes never interleave). */
  private apply(s: CatalogSnapshot): void {
    for (const m of [this.jobs, this.queued, this.bytes, this.files, this.agentOnline, this.drives, this.tapes, this.tapeUsed, this.tapeCapacity, this.firings])
      m.reset();
    for (const r of s.jobs) this.jobs.set({ kind: r.kind, status: r.status }, r.count);
    for (const r of s.queued) this.queued.set({ agent: r.agent, reason: r.reason }, r.count);
    this.queueDepth.set(s.queued.reduce((sum, r) => sum + r.count, 0));
    for (const r of s.moved) {
      const direction = DIRECTION[r.kind];
      if (!direction) continue;
      this.bytes.inc({ agent: r.agent, kind: r.kind, direction }, r.bytes);
      this.files.inc({ agent: r.agent, kind: r.kind, direction }, r.files);
    }
    this.requestsOpen.set(s.operatorRequestsOpen);
    for (const a of s.agents) this.agentOnline.set({ agent: a.agent }, a.online ? 1 : 0);
    this.agentsOnline.set(s.agents.filter((a) => a.online).length);
    for (const r of s.drives) this.drives.set({ agent: r.agent, state: r.state }, r.count);
    for (const r of s.tapes) {
      const labels = { state: r.state, pool: r.pool };
      this.tapes.set(labels, r.count);
      this.tapeUsed.set(labels, r.usedBytes);
      this.tapeCapacity.set(labels, r.capacityBytes);
    }
    for (const r of s.firings) this.firings.inc({ schedule: r.schedule, outcome: r.outcome }, r.count);
    const pool = this.repo.bulkPool();
    for (const state of ['total', 'idle', 'waiting'] as const) this.pool.set({ pool: 'bulk', state }, pool[state]);
  }
}
