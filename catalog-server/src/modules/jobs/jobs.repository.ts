// The only code that creates, reads and (outside agent reports and dispatch) changes job rows:
// creation with idempotency keys, listing, cancel, and the liveness transitions (interrupt,
// requeue) the server decides on its own.
import { Injectable } from '@nestjs/common';
import { Prisma, type JobKind, type JobStatus } from '@ferrite/db';
import { jobIsUnfinished, jobNamesTape } from '../../database/job-holds.sql.js';
import { PrismaService } from '../../database/prisma.service.js';
import type { Tx } from '../../database/transaction.js';
import { dbOperation, isUniqueViolation } from '../../database/database-errors.js';
import { appendServerEvent, CANCEL_REQUESTED, lockJob, RELEASE_CHOSEN_TAPE } from './job-event-log.js';
import { TERMINAL_STATUSES } from './job-transitions.js';
import { canResume, giveUpMessage, resumeMessage, type LastCheckpoint } from './job-resume.js';

export const jobInclude = {
  // Only tells whether an operator asked to cancel while an agent runs the job.
  events: { where: { type: CANCEL_REQUESTED }, select: { id: true }, take: 1 },
} as const satisfies Prisma.JobInclude;

export type JobRow = Prisma.JobGetPayload<{ include: typeof jobInclude }>;
export type JobEventRow = Prisma.JobEventGetPayload<object>;

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

export type CancelOutcome =
  { outcome: 'not-found' } | { outcome: 'finished'; job: JobRow } | { outcome: 'cancelled'; job: JobRow } | { outcome: 'requested'; job: JobRow };

@Injectable()
export class JobsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Creates the job; with an idempotency key already taken, returns that job instead (created: false). */
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

  /** The job's log in order; PROGRESS lines only when asked (there can be thousands). */
  events(jobId: string, includeProgress: boolean, limit: number): Promise<JobEventRow[]> {
    return dbOperation('list job events', async () => {
      const rows = await this.prisma.client.jobEvent.findMany({
        where: { jobId, ...(includeProgress ? {} : { type: { not: 'PROGRESS' } }) },
        orderBy: [{ at: 'desc' }, { id: 'desc' }],
        take: limit,
      });
      return rows.reverse();
    });
  }

  /** Error lines naming a file, of the job's current attempt, in the order they came. */
  failedFiles(jobId: string, limit: number): Promise<JobEventRow[]> {
    return dbOperation(
      'list failed files of a job',
      () =>
        this.prisma.client.$queryRaw<JobEventRow[]>`
        SELECT e.id, e.job_id AS "jobId", e.attempt, e.seq, e.type, e.level, e.message, e.data, e.at
        FROM job_event e JOIN job j ON j.id = e.job_id AND j.attempt = e.attempt
        WHERE e.job_id = ${jobId}::uuid AND e.type = 'LOG' AND e.level = 'error' AND e.data ? 'path'
        ORDER BY e.id LIMIT ${limit}`,
    );
  }

  /** Events in arrival order after the given event id (keyset pages for the log export). */
  eventsAfter(jobId: string, afterId: bigint, limit: number): Promise<JobEventRow[]> {
    return dbOperation('read job log', () =>
      this.prisma.client.jobEvent.findMany({ where: { jobId, id: { gt: afterId } }, orderBy: { id: 'asc' }, take: limit }),
    );
  }

  /**
   * Cancels what can be cancelled at once (a queued job; an active one whose agent cannot be
   * told), and records a cancel request for an agent that can. Finished jobs are left untouched.
   */
  cancel(id: string, reason: string, canReachAgent: (agentId: string) => boolean): Promise<CancelOutcome> {
    return dbOperation('cancel job', () =>
      this.prisma.client.$transaction(async (tx): Promise<CancelOutcome> => {
        if (!(await lockJob(tx, id))) return { outcome: 'not-found' };
        const job = (await tx.job.findUnique({ where: { id }, include: jobInclude }))!;
        if (TERMINAL_STATUSES.includes(job.status)) return { outcome: 'finished', job };
        const active = job.status === 'ASSIGNED' || job.status === 'RUNNING';
        if (active && job.agentId && canReachAgent(job.agentId)) {
          if (job.events.length === 0) await appendServerEvent(tx, id, job.attempt, CANCEL_REQUESTED, `cancel requested: ${reason}`, 'warn');
          return { outcome: 'requested', job: (await tx.job.findUnique({ where: { id }, include: jobInclude }))! };
        }
        const why = active ? `${reason} (the agent is not connected, so it was cancelled at once)` : reason;
        await appendServerEvent(tx, id, job.attempt, 'CANCELLED', `cancelled: ${why}`, 'warn');
        const updated = await tx.job.update({
          where: { id },
          data: { status: 'CANCELLED', finishedAt: new Date(), queueReason: null, leaseOwner: null, leaseExpiresAt: null },
          include: jobInclude,
        });
        return { outcome: 'cancelled', job: updated };
      }),
    );
  }

  /**
   * The agents went offline: their active jobs become INTERRUPTED (or CANCELLED when a cancel was
   * pending). Returns the ids of the jobs changed.
   */
  interruptJobsOfAgents(agentIds: string[], message: string): Promise<string[]> {
    if (agentIds.length === 0) return Promise.resolve([]);
    return dbOperation('interrupt jobs', () =>
      this.prisma.client.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<{ id: string }[]>`
          SELECT id::text FROM job WHERE agent_id = ANY(${agentIds}::uuid[]) AND status IN ('ASSIGNED', 'RUNNING')
          ORDER BY id FOR UPDATE`;
        for (const { id } of rows) await this.endActiveJob(tx, id, message);
        return rows.map((r) => r.id);
      }),
    );
  }

  /**
   * The backstop for jobs nobody settles: an ASSIGNED/RUNNING job whose lease ran out while its agent
   * is offline (e.g. a replica died between marking the agent offline and interrupting its jobs)
   * becomes INTERRUPTED, which frees its drive and tape. Jobs of online agents are left to the
   * heartbeat reconcile, which knows what the agent really runs: a slow beat on a loaded machine
   * must not kill a healthy job. Any replica may run this; rows being settled elsewhere are skipped.
   */
  interruptExpiredLeases(now: Date): Promise<string[]> {
    return dbOperation('interrupt expired leases', () =>
      this.prisma.client.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<{ id: string }[]>`
          SELECT j.id::text FROM job j LEFT JOIN agent a ON a.id = j.agent_id
          WHERE j.status IN ('ASSIGNED', 'RUNNING') AND j.lease_expires_at < ${now} AND NOT COALESCE(a.online, false)
          ORDER BY j.id FOR UPDATE OF j SKIP LOCKED`;
        for (const { id } of rows) await this.endActiveJob(tx, id, 'its lease expired while its agent was offline');
        return rows.map((r) => r.id);
      }),
    );
  }

  /**
   * Squares the catalog with what an agent says it runs. Leases of the jobs it runs are renewed.
   * Jobs it should run but does not mention, and that have not changed since `staleBefore`:
   * ASSIGNED ones never reached it and are queued again; RUNNING ones were lost (the agent
   * restarted) and become INTERRUPTED.
   */
  reconcileAgentJobs(agentId: string, runningJobIds: string[], staleBefore: Date, leaseExpiresAt: Date): Promise<string[]> {
    return dbOperation('reconcile agent jobs', () =>
      this.prisma.client.$transaction(async (tx) => {
        if (runningJobIds.length > 0) {
          await tx.$executeRaw`
            UPDATE job SET lease_expires_at = ${leaseExpiresAt}
            WHERE agent_id = ${agentId}::uuid AND id = ANY(${runningJobIds}::uuid[]) AND status IN ('ASSIGNED', 'RUNNING')`;
        }
        const lost = await tx.$queryRaw<{ id: string; status: JobStatus }[]>`
          SELECT id::text, status::text AS status FROM job
          WHERE agent_id = ${agentId}::uuid AND status IN ('ASSIGNED', 'RUNNING') AND updated_at < ${staleBefore}
            AND NOT (id = ANY(${runningJobIds}::uuid[]))
          ORDER BY id FOR UPDATE SKIP LOCKED`;
        for (const job of lost) {
          if (job.status === 'ASSIGNED') {
            const row = (await tx.job.findUnique({ where: { id: job.id }, include: jobInclude }))!;
            if (row.events.length > 0) {
              await this.endActiveJob(tx, job.id, 'the agent did not take the job');
              continue;
            }
            await appendServerEvent(tx, job.id, row.attempt, 'REQUEUED', 'the agent did not take the job; queued again', 'warn');
            await tx.job.update({
              where: { id: job.id },
              data: { status: 'QUEUED', driveId: null, leaseOwner: null, leaseExpiresAt: null, queueReason: 'queued again: the agent did not take it' },
            });
            await tx.$executeRaw`UPDATE job SET spec = ${RELEASE_CHOSEN_TAPE} WHERE id = ${job.id}::uuid`;
          } else {
            await this.endActiveJob(tx, job.id, 'the agent no longer runs this job (it restarted?)');
          }
        }
        return lost.map((j) => j.id);
      }),
    );
  }

  /**
   * The agent is back (a valid heartbeat that does not list them): its INTERRUPTED backups are
   * queued again as their next attempt, which resumes from the last confirmed checkpoint. Jobs the
   * agent still runs (a partition, not a crash) are left to its own reports. A job past its last
   * attempt gets one log line and stays INTERRUPTED (errorCode ATTEMPTS_EXHAUSTED). Returns the ids
   * of the jobs queued again.
   */
  resumeInterruptedBackups(agentId: string, runningJobIds: string[]): Promise<string[]> {
    return dbOperation('resume interrupted backups', () =>
      this.prisma.client.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<{ id: string; attempt: number }[]>`
          SELECT id::text, attempt FROM job
          WHERE agent_id = ${agentId}::uuid AND kind = 'BACKUP' AND status = 'INTERRUPTED'
            AND COALESCE(error_code, '') <> 'ATTEMPTS_EXHAUSTED' AND NOT (id = ANY(${runningJobIds}::uuid[]))
          ORDER BY created_at FOR UPDATE SKIP LOCKED`;
        const resumed: string[] = [];
        for (const job of rows) {
          if (!canResume(job.attempt)) {
            await appendServerEvent(tx, job.id, job.attempt, 'NOT_RESUMED', giveUpMessage(job.attempt), 'warn');
            await tx.job.update({ where: { id: job.id }, data: { errorCode: 'ATTEMPTS_EXHAUSTED', errorMessage: giveUpMessage(job.attempt) } });
            continue;
          }
          const next = job.attempt + 1;
          await appendServerEvent(tx, job.id, next, 'RESUMED', resumeMessage(next, await lastCheckpoint(tx, job.id)));
          await tx.job.update({
            where: { id: job.id },
            data: {
              status: 'QUEUED',
              attempt: next,
              driveId: null,
              leaseOwner: null,
              leaseExpiresAt: null,
              finishedAt: null,
              errorCode: null,
              errorMessage: null,
              queueReason: `resuming as attempt ${next}`,
            },
          });
          resumed.push(job.id);
        }
        return resumed;
      }),
    );
  }

  private async endActiveJob(tx: Prisma.TransactionClient, id: string, message: string): Promise<void> {
    const job = (await tx.job.findUnique({ where: { id }, include: jobInclude }))!;
    const cancelPending = job.events.length > 0;
    const status: JobStatus = cancelPending ? 'CANCELLED' : 'INTERRUPTED';
    await appendServerEvent(tx, id, job.attempt, status, `${status.toLowerCase()}: ${message}`, 'warn');
    await tx.job.update({
      where: { id },
      data: {
        status,
        finishedAt: cancelPending ? new Date() : null,
        leaseOwner: null,
        leaseExpiresAt: null,
        errorCode: cancelPending ? null : 'AGENT_LOST',
        errorMessage: cancelPending ? null : message,
      },
    });
  }
}

/** The newest batch the catalog ingested for a job (its last confirmed checkpoint), if any. */
async function lastCheckpoint(tx: Prisma.TransactionClient, jobId: string): Promise<LastCheckpoint | null> {
  const rows = await tx.$queryRaw<{ attempt: number; batch_seq: number; manifest: string; total: number }[]>`
    SELECT attempt, batch_seq::int AS batch_seq, manifest, (SUM(file_count) OVER ())::int AS total
      FROM ingest_batch WHERE job_id = ${jobId}::uuid ORDER BY attempt DESC, batch_seq DESC LIMIT 1`;
  const r = rows[0];
  return r ? { attempt: r.attempt, batchSeq: r.batch_seq, manifest: r.manifest, confirmedEntries: r.total } : null;
}
