// The only code that writes the job table. Queries only: what a job becomes is decided by the
// services (job-lifecycle.service.ts, assignment.service.ts, the report recorder) on the pure rules
// of job-transitions.ts and job-resume.ts; they lock rows and write through these methods inside
// their own transaction (database/transaction.ts).
import { Injectable } from '@nestjs/common';
import { Prisma, type JobKind, type JobStatus } from '@ferrite/db';
import { jobIsUnfinished, jobNamesTape } from '../../../database/job-holds.sql.js';
import { PrismaService } from '../../../database/prisma.service.js';
import type { Tx } from '../../../database/transaction.js';
import { dbOperation, isUniqueViolation } from '../../../database/database-errors.js';
import { CANCEL_REQUESTED } from './job-log.repository.js';
import type { LastCheckpoint } from './job-resume.js';

export const jobInclude = {
  // Only tells whether an operator asked to cancel while an agent runs the job.
  events: { where: { type: CANCEL_REQUESTED }, select: { id: true }, take: 1 },
} as const satisfies Prisma.JobInclude;

export type JobRow = Prisma.JobGetPayload<{ include: typeof jobInclude }>;

/** The queue reason of a new job nothing holds up yet (the dispatcher takes it on its next pass). */
export const WAITING_FOR_DISPATCHER = 'waiting for the dispatcher';

export interface NewJob {
  kind: JobKind;
  agentId: string;
  priority: number;
  spec: object;
  progress?: object;
  idempotencyKey?: string | null;
  /** Why it waits, when that is known at creation (e.g. no tape for a backup yet). */
  queueReason?: string | null;
}

export interface JobListFilter {
  statuses?: JobStatus[];
  kinds?: JobKind[];
  agentName?: string;
}

@Injectable()
export class JobsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * A backup job known only from a tape (rebuildCatalog): recorded SUCCEEDED under its own id, so
   * its manifests ingest as its own batches. Nothing happens when the job exists.
   */
  createRebuiltBackup(input: { id: string; agentId: string; attempt: number; spec: object; startedAt: Date }): Promise<void> {
    return dbOperation('record a rebuilt backup job', async () => {
      await this.prisma.client.job.createMany({
        data: [
          {
            id: input.id,
            kind: 'BACKUP',
            status: 'SUCCEEDED',
            agentId: input.agentId,
            attempt: input.attempt,
            spec: input.spec,
            startedAt: input.startedAt,
            finishedAt: input.startedAt,
            priority: 0,
          },
        ],
        skipDuplicates: true,
      });
    });
  }

  /** A new QUEUED job, in the caller's transaction (or on its own). */
  insert(tx: Tx | null, input: NewJob): Promise<JobRow> {
    return (tx ?? this.prisma.client).job.create({
      data: {
        kind: input.kind,
        agentId: input.agentId,
        priority: input.priority,
        spec: input.spec,
        progress: input.progress,
        idempotencyKey: input.idempotencyKey ?? null,
        queueReason: input.queueReason ?? WAITING_FOR_DISPATCHER,
      },
      include: jobInclude,
    });
  }

  /** Creates the job; with an idempotency key already taken, returns that job instead (created: false). */
  create(input: NewJob): Promise<{ job: JobRow; created: boolean }> {
    return dbOperation('create job', async () => {
      try {
        const job = await this.insert(null, input);
        return { job, created: true };
      } catch (err) {
        if (input.idempotencyKey && isUniqueViolation(err)) {
          const existing = await this.findByIdempotencyKey(input.idempotencyKey);
          if (existing) return { job: existing, created: false };
        }
        throw err;
      }
    });
  }

  findById(id: string): Promise<JobRow | null> {
    return dbOperation('find job', () => this.prisma.client.job.findUnique({ where: { id }, include: jobInclude }));
  }

  findByIdempotencyKey(key: string): Promise<JobRow | null> {
    return dbOperation('find job', () => this.prisma.client.job.findUnique({ where: { idempotencyKey: key }, include: jobInclude }));
  }

  updateSpec(id: string, spec: object): Promise<void> {
    return dbOperation('update job spec', async () => {
      await this.prisma.client.job.update({ where: { id }, data: { spec } });
    });
  }

  /** Removes a job that never became real (its preparation failed before anyone could see it run). */
  delete(id: string): Promise<void> {
    return dbOperation('delete job', async () => {
      await this.prisma.client.job.deleteMany({ where: { id, status: 'QUEUED' } });
    });
  }

  /** Sets the priority of a QUEUED job; returns the row as it is after (unchanged when not queued). */
  setPriority(id: string, priority: number): Promise<JobRow | null> {
    return dbOperation('set job priority', async () => {
      await this.prisma.client.job.updateMany({ where: { id, status: 'QUEUED' }, data: { priority } });
      return this.prisma.client.job.findUnique({ where: { id }, include: jobInclude });
    });
  }

  /** The first unfinished job (other than `exceptId`) whose spec names this tape. */
  async unfinishedJobOnTape(barcode: string, exceptId?: string): Promise<string | null> {
    return dbOperation('find jobs on tape', async () => {
      const rows = await this.prisma.client.$queryRaw<{ id: string }[]>`
        SELECT id::text FROM job
        WHERE ${jobIsUnfinished('')} AND ${jobNamesTape('', Prisma.sql`${barcode}`)}
          AND id <> COALESCE(${exceptId ?? null}::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
        ORDER BY created_at LIMIT 1`;
      return rows[0]?.id ?? null;
    });
  }

  /** Newest first; keyset on (createdAt, id) so pages stay stable while jobs are added. */
  list(filter: JobListFilter, after: { createdAt: Date; id: string } | null, take: number): Promise<{ rows: JobRow[]; total: number }> {
    const where: Prisma.JobWhereInput = {
      ...(filter.statuses?.length ? { status: { in: filter.statuses } } : {}),
      ...(filter.kinds?.length ? { kind: { in: filter.kinds } } : {}),
      ...(filter.agentName !== undefined ? { agent: { name: filter.agentName } } : {}),
    };
    const page: Prisma.JobWhereInput = after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {};
    return dbOperation('list jobs', async () => {
      const [rows, total] = await this.prisma.client.$transaction([
        this.prisma.client.job.findMany({ where: { AND: [where, page] }, include: jobInclude, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take }),
        this.prisma.client.job.count({ where }),
      ]);
      return { rows, total };
    });
  }

  /** Row-locks the job for the rest of the transaction and reads it; null when it does not exist. */
  async lock(tx: Tx, id: string): Promise<JobRow | null> {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM job WHERE id = ${id}::uuid FOR UPDATE`;
    return rows.length ? tx.job.findUnique({ where: { id }, include: jobInclude }) : null;
  }

  /** Locks and returns the QUEUED job, or null when it is not queued or another transaction holds it. */
  async lockQueued(tx: Tx, id: string): Promise<JobRow | null> {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM job WHERE id = ${id}::uuid AND status = 'QUEUED' FOR UPDATE SKIP LOCKED`;
    return rows.length ? tx.job.findUnique({ where: { id }, include: jobInclude }) : null;
  }

  /** Locks the active (ASSIGNED, RUNNING, WAITING_FOR_TAPE) jobs of the agents; their ids. */
  async lockActiveOfAgents(tx: Tx, agentIds: string[]): Promise<string[]> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM job WHERE agent_id = ANY(${agentIds}::uuid[]) AND status IN ('ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE')
      ORDER BY id FOR UPDATE`;
    return rows.map((r) => r.id);
  }

  /** Locks active jobs of offline agents whose lease ran out before `now` (rows locked elsewhere are skipped). */
  async lockExpiredOfOfflineAgents(tx: Tx, now: Date): Promise<string[]> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT j.id::text FROM job j LEFT JOIN agent a ON a.id = j.agent_id
      WHERE j.status IN ('ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE') AND j.lease_expires_at < ${now} AND NOT COALESCE(a.online, false)
      ORDER BY j.id FOR UPDATE OF j SKIP LOCKED`;
    return rows.map((r) => r.id);
  }

  /** Extends the leases of the agent's active jobs among `ids`. */
  async renewLeases(tx: Tx, agentId: string, ids: string[], until: Date): Promise<void> {
    if (ids.length === 0) return;
    await tx.$executeRaw`
      UPDATE job SET lease_expires_at = ${until}
      WHERE agent_id = ${agentId}::uuid AND id = ANY(${ids}::uuid[]) AND status IN ('ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE')`;
  }

  /** Locks the agent's active jobs it does not list and that have not changed since `staleBefore`. */
  lockUnlisted(tx: Tx, agentId: string, listed: string[], staleBefore: Date): Promise<{ id: string; status: JobStatus }[]> {
    return tx.$queryRaw<{ id: string; status: JobStatus }[]>`
      SELECT id::text, status::text AS status FROM job
      WHERE agent_id = ${agentId}::uuid AND status IN ('ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE') AND updated_at < ${staleBefore}
        AND NOT (id = ANY(${listed}::uuid[]))
      ORDER BY id FOR UPDATE SKIP LOCKED`;
  }

  /** Locks the agent's INTERRUPTED backups that may still resume and that it does not run. */
  lockResumableBackups(tx: Tx, agentId: string, running: string[]): Promise<{ id: string; attempt: number }[]> {
    return tx.$queryRaw<{ id: string; attempt: number }[]>`
      SELECT id::text, attempt FROM job
      WHERE agent_id = ${agentId}::uuid AND kind = 'BACKUP' AND status = 'INTERRUPTED'
        AND COALESCE(error_code, '') <> 'ATTEMPTS_EXHAUSTED' AND NOT (id = ANY(${running}::uuid[]))
      ORDER BY created_at FOR UPDATE SKIP LOCKED`;
  }

  /** The newest batch the catalog ingested for a job (its last confirmed checkpoint), if any. */
  async lastCheckpoint(tx: Tx, jobId: string): Promise<LastCheckpoint | null> {
    const rows = await tx.$queryRaw<{ attempt: number; batch_seq: number; manifest: string; total: number }[]>`
      SELECT attempt, batch_seq::int AS batch_seq, manifest, (SUM(file_count) OVER ())::int AS total
        FROM ingest_batch WHERE job_id = ${jobId}::uuid ORDER BY attempt DESC, batch_seq DESC LIMIT 1`;
    const r = rows[0];
    return r ? { attempt: r.attempt, batchSeq: r.batch_seq, manifest: r.manifest, confirmedEntries: r.total } : null;
  }

  /** Writes the columns a service decided on (the status machine lives in job-transitions.ts and the services). */
  update(tx: Tx, id: string, data: Prisma.JobUncheckedUpdateInput): Promise<JobRow> {
    return tx.job.update({ where: { id }, data, include: jobInclude });
  }

  /** Records why a QUEUED job waits; true when the reason changed. */
  async setQueueReason(tx: Tx | null, id: string, reason: string): Promise<boolean> {
    const n = await (tx ?? this.prisma.client).$executeRaw`
      UPDATE job SET queue_reason = ${reason}, updated_at = now()
      WHERE id = ${id}::uuid AND status = 'QUEUED' AND queue_reason IS DISTINCT FROM ${reason}`;
    return n > 0;
  }

  /** An ASSIGNED job back in the queue, without the tapes the dispatcher chose for it; false when it was not ASSIGNED. */
  requeue(tx: Tx | null, id: string, reason: string): Promise<boolean> {
    return dbOperation('requeue job', async () => {
      const n = await (tx ?? this.prisma.client).$executeRaw`
        UPDATE job SET status = 'QUEUED', drive_id = NULL, lease_owner = NULL, lease_expires_at = NULL,
               spec = ${RELEASE_CHOSEN_TAPE}, queue_reason = ${reason}, updated_at = now()
        WHERE id = ${id}::uuid AND status = 'ASSIGNED'`;
      return n > 0;
    });
  }

  /** Jobs whose last operator request was satisfied go back to the dispatcher. */
  async releaseToDispatcher(tx: Tx, ids: string[]): Promise<void> {
    await tx.$executeRaw`
      UPDATE job j SET queue_reason = ${WAITING_FOR_DISPATCHER}, updated_at = now()
      WHERE j.id = ANY(${ids}::uuid[]) AND j.status = 'QUEUED'
        AND NOT EXISTS (SELECT 1 FROM operator_request r WHERE r.job_id = j.id AND r.status = 'OPEN')`;
  }
}

/**
 * SQL for a job's spec with the tapes the dispatcher chose for a backup taken back (it never started
 * on them), so the next dispatch chooses again from what is free then: copy 1's tape when the
 * dispatcher chose it (one the operator named stays), and the further copies' tapes always. A
 * resumed attempt keeps its tapes: they hold what the earlier attempt confirmed.
 */
const RELEASE_CHOSEN_TAPE = Prisma.sql`CASE WHEN kind = 'BACKUP' AND attempt = 1
  THEN (CASE WHEN spec->>'tapeChosenAtDispatch' = 'true' THEN spec - 'barcode' ELSE spec END) - 'tapes' ELSE spec END`;
