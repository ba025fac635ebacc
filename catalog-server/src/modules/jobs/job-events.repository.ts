// Stores agent job reports: one transaction per report that locks the job, inserts the event
// idempotently on (job, attempt, seq), and applies the decided change to the job and its tape.
// A re-sent report finds its row already there and changes nothing.
import { Injectable } from '@nestjs/common';
import { Prisma } from '@ferrite/db';
import type { ReportJobEventRequest } from '@ferrite/proto';
import { PrismaService } from '../../database/prisma.service.js';
import { TapesRepository } from '../tapes/tapes.repository.js';
import { FilesRepository } from '../files/files.repository.js';
import { dbOperation } from '../../database/database-errors.js';
import { lockJob, type Tx } from './job-event-log.js';
import type { EventDecision, JobForEvent, TapeUpdate } from './job-transitions.js';
import { jobInclude, type JobRow } from './jobs.repository.js';

export type RecordOutcome =
  { outcome: 'not-found' } | { outcome: 'duplicate'; job: JobRow; decision: EventDecision } | { outcome: 'recorded'; job: JobRow; decision: EventDecision };

@Injectable()
export class JobEventsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly tapes: TapesRepository,
    private readonly placements: FilesRepository,
  ) {}

  /**
   * `decide` runs on the locked row and may throw a FerriteError to refuse the report (the
   * transaction then rolls back and nothing is stored). A report that keeps the job running extends
   * its lease to `leaseUntil`.
   */
  recordAgentEvent(ev: ReportJobEventRequest, decide: (job: JobForEvent) => EventDecision, leaseUntil?: Date): Promise<RecordOutcome> {
    return dbOperation('record job event', () =>
      this.prisma.client.$transaction(async (tx): Promise<RecordOutcome> => {
        if (!(await lockJob(tx, ev.jobId))) return { outcome: 'not-found' };
        const job = (await tx.job.findUnique({ where: { id: ev.jobId }, include: jobInclude }))!;
        const decision = decide(job);
        const inserted = await tx.$queryRaw<{ id: bigint }[]>`
          INSERT INTO job_event (job_id, attempt, seq, type, level, message, data, at)
          VALUES (${ev.jobId}::uuid, ${ev.attempt}, ${ev.seq}, ${decision.type}, ${decision.level}, ${decision.message},
                  ${decision.data === null ? null : JSON.stringify(decision.data)}::jsonb, ${ev.at ?? new Date()})
          ON CONFLICT (job_id, attempt, seq) DO NOTHING
          RETURNING id`;
        if (inserted.length === 0) return { outcome: 'duplicate', job, decision };

        const data: Prisma.JobUpdateInput = {};
        if (decision.status) data.status = decision.status;
        if (decision.startedAt) data.startedAt = decision.startedAt;
        if (decision.finishedAt) {
          data.finishedAt = decision.finishedAt;
          data.leaseOwner = null;
          data.leaseExpiresAt = null;
        }
        if (decision.status === 'RUNNING' && leaseUntil) data.leaseExpiresAt = leaseUntil;
        if (decision.progress) data.progress = { ...decision.progress };
        if (decision.errorCode !== undefined) data.errorCode = decision.errorCode;
        if (decision.errorMessage !== undefined) data.errorMessage = decision.errorMessage;
        if (decision.status === 'RUNNING' && job.status === 'INTERRUPTED') {
          data.errorCode = null;
          data.errorMessage = null;
        }
        const updated = Object.keys(data).length ? await tx.job.update({ where: { id: job.id }, data, include: jobInclude }) : job;
        if (decision.tape) await this.applyTapeUpdate(tx, decision.tape);
        for (const t of decision.copyTapes ?? []) await this.applyTapeUpdate(tx, t);
        return { outcome: 'recorded', job: updated, decision };
      }),
    );
  }

  /** The tape's facts from the report; a completed format also takes the tape's placements away. */
  private async applyTapeUpdate(tx: Tx, t: TapeUpdate): Promise<void> {
    const tapeId = await this.tapes.applyAgentReport(tx, t);
    if (tapeId && t.reformatted) await this.placements.deleteOnTape(tx, tapeId);
  }
}
