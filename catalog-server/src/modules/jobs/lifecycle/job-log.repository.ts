// The only code that writes a job's log (the job_event table): the agent's reports, stored once
// each on (job, attempt, seq), and the server's own lines (assigned, cancelled, resumed, ...),
// which take negative seq numbers so they never collide with the agent's (1, 2, 3, ... per attempt).
// Writes happen in the caller's transaction, with the job row locked (JobsRepository.lock).
import { Injectable } from '@nestjs/common';
import type { Prisma } from '@ferrite/db';
import type { ReportJobEventRequest } from '@ferrite/proto';
import { PrismaService } from '../../../database/prisma.service.js';
import { dbOperation } from '../../../database/database-errors.js';
import type { Tx } from '../../../database/transaction.js';

export type JobEventRow = Prisma.JobEventGetPayload<object>;

/** The server-side event type that records an operator's cancel of a job an agent is running. */
export const CANCEL_REQUESTED = 'CANCEL_REQUESTED';

export type LogLevel = 'info' | 'warn' | 'error';

/** What an agent's report adds to the log (decided by job-transitions.ts). */
export interface AgentLogLine {
  type: string;
  level: string;
  message: string;
  data: Record<string, unknown> | null;
}

@Injectable()
export class JobLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Appends a server line to the job's log for `attempt`. */
  async appendServerLine(tx: Tx, jobId: string, attempt: number, type: string, message: string, level: LogLevel = 'info'): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO job_event (job_id, attempt, seq, type, level, message, at)
      SELECT ${jobId}::uuid, ${attempt}, COALESCE(MIN(seq), 0) - 1, ${type}, ${level}, ${message}, now()
      FROM job_event WHERE job_id = ${jobId}::uuid AND attempt = ${attempt} AND seq < 0`;
  }

  /** Whether the attempt's log already has a server line of this type. */
  async hasServerLine(tx: Tx, jobId: string, attempt: number, type: string): Promise<boolean> {
    const rows = await tx.$queryRaw<{ one: number }[]>`
      SELECT 1 AS one FROM job_event WHERE job_id = ${jobId}::uuid AND attempt = ${attempt} AND seq < 0 AND type = ${type} LIMIT 1`;
    return rows.length > 0;
  }

  /** Stores an agent's report; false when a report with its (job, attempt, seq) is already there. */
  async insertAgentLine(tx: Tx, ev: ReportJobEventRequest, line: AgentLogLine): Promise<boolean> {
    const inserted = await tx.$queryRaw<{ id: bigint }[]>`
      INSERT INTO job_event (job_id, attempt, seq, type, level, message, data, at)
      VALUES (${ev.jobId}::uuid, ${ev.attempt}, ${ev.seq}, ${line.type}, ${line.level}, ${line.message},
              ${line.data === null ? null : JSON.stringify(line.data)}::jsonb, ${ev.at ?? new Date()})
      ON CONFLICT (job_id, attempt, seq) DO NOTHING
      RETURNING id`;
    return inserted.length > 0;
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
}
