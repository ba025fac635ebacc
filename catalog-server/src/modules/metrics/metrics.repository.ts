// The catalog reads behind /metrics and /readyz: a handful of GROUP BY counts over small tables
// (job, agent, drive, tape, operator_request, schedule_firing), each bounded by the statement
// timeout. The job table is read whole once per scrape (the latest progress of every job); it holds
// one row per job, not per file.
import { Injectable } from '@nestjs/common';
import { loadMigrationList } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';

export interface CatalogSnapshot {
  jobs: { kind: string; status: string; count: number }[];
  queued: { agent: string; reason: QueueReason; count: number }[];
  /** Latest progress of every job, summed: bytes and files each agent wrote (backups) or read. */
  moved: { agent: string; kind: string; bytes: number; files: number }[];
  operatorRequestsOpen: number;
  agents: { agent: string; online: boolean }[];
  drives: { agent: string; state: string; count: number }[];
  tapes: { state: string; pool: string; count: number; usedBytes: number; capacityBytes: number }[];
  firings: { schedule: string; outcome: string; count: number }[];
}

/** Why a queued job waits, from the catalog's structure (never from the reason's text). */
export type QueueReason = 'agent_offline' | 'operator_request' | 'waiting' | 'none';

type Count = bigint | number;

@Injectable()
export class MetricsRepository {
  private expectedMigrations: Promise<string[]> | null = null;

  constructor(private readonly prisma: PrismaService) {}

  async snapshot(): Promise<CatalogSnapshot> {
    const db = this.prisma.client;
    const [jobs, queued, moved, requests, agents, drives, tapes, firings] = await Promise.all([
      db.$queryRaw<{ kind: string; status: string; n: Count }[]>`
        SELECT kind::text, status::text, count(*) AS n FROM job GROUP BY 1, 2`,
      db.$queryRaw<{ agent: string; reason: QueueReason; n: Count }[]>`
        SELECT coalesce(a.name, '') AS agent,
               CASE WHEN a.id IS NOT NULL AND NOT a.online THEN 'agent_offline'
                    WHEN EXISTS (SELECT 1 FROM operator_request r WHERE r.job_id = j.id AND r.status = 'OPEN') THEN 'operator_request'
                    WHEN j.queue_reason IS NOT NULL THEN 'waiting'
                    ELSE 'none' END AS reason,
               count(*) AS n
        FROM job j LEFT JOIN agent a ON a.id = j.agent_id
        WHERE j.status = 'QUEUED' GROUP BY 1, 2`,
      db.$queryRaw<{ agent: string; kind: string; bytes: Count; files: Count }[]>`
        SELECT a.name AS agent, j.kind::text,
               sum(coalesce((j.progress->>'bytesDone')::numeric, 0))::float8 AS bytes,
               sum(coalesce((j.progress->>'filesDone')::numeric, 0))::float8 AS files
        FROM job j JOIN agent a ON a.id = j.agent_id
        WHERE j.progress IS NOT NULL GROUP BY 1, 2`,
      db.$queryRaw<{ n: Count }[]>`SELECT count(*) AS n FROM operator_request WHERE status = 'OPEN'`,
      db.$queryRaw<{ agent: string; online: boolean }[]>`SELECT name AS agent, online FROM agent`,
      db.$queryRaw<{ agent: string; state: string; n: Count }[]>`
        SELECT a.name AS agent, d.state::text, count(*) AS n FROM drive d JOIN agent a ON a.id = d.agent_id GROUP BY 1, 2`,
      db.$queryRaw<{ state: string; pool: string; n: Count; used: Count; capacity: Count }[]>`
        SELECT t.state::text, coalesce(p.name, '') AS pool, count(*) AS n,
               sum(t.used_bytes)::float8 AS used, sum(t.capacity_bytes)::float8 AS capacity
        FROM tape t LEFT JOIN pool p ON p.id = t.pool_id GROUP BY 1, 2`,
      db.$queryRaw<{ schedule: string; outcome: string; n: Count }[]>`
        SELECT s.name AS schedule,
               CASE WHEN f.error_code IS NOT NULL THEN f.error_code
                    WHEN f.job_id IS NOT NULL THEN 'STARTED'
                    WHEN f.finished_at IS NULL THEN 'IN_PROGRESS'
                    ELSE 'NO_JOB' END AS outcome,
               count(*) AS n
        FROM schedule_firing f JOIN schedule s ON s.id = f.schedule_id GROUP BY 1, 2`,
    ]);
    return {
      jobs: jobs.map((r) => ({ kind: r.kind, status: r.status, count: Number(r.n) })),
      queued: queued.map((r) => ({ agent: r.agent, reason: r.reason, count: Number(r.n) })),
      moved: moved.map((r) => ({ agent: r.agent, kind: r.kind, bytes: Number(r.bytes), files: Number(r.files) })),
      operatorRequestsOpen: Number(requests[0]?.n ?? 0),
      agents,
      drives: drives.map((r) => ({ agent: r.agent, state: r.state, count: Number(r.n) })),
      tapes: tapes.map((r) => ({ state: r.state, pool: r.pool, count: Number(r.n), usedBytes: Number(r.used), capacityBytes: Number(r.capacity) })),
      firings: firings.map((r) => ({ schedule: r.schedule, outcome: r.outcome, count: Number(r.n) })),
    };
  }

  /** The migrations this build ships that the database has not finished (empty: up to date).
   *  Throws when the database cannot be reached. */
  async missingMigrations(): Promise<string[]> {
    this.expectedMigrations ??= loadMigrationList().then((l) => l.migrationDirectories.map((d) => d.path));
    const [expected, applied] = await Promise.all([
      this.expectedMigrations,
      this.prisma.client.$queryRaw<{ name: string }[]>`
        SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    ]);
    const done = new Set(applied.map((r) => r.name));
    return expected.filter((name) => !done.has(name));
  }

  /** Connections of the plain pg pool (bulk ingest, file search); Prisma's own pool exposes no counts. */
  bulkPool(): { total: number; idle: number; waiting: number } {
    const pool = this.prisma.pool;
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }
}
