// Stores one agent job report in one transaction: locks the job, lets the status machine decide
// (job-transitions.ts), inserts the report into the log idempotently on (job, attempt, seq), and
// writes the decided change to the job and its tapes. A re-sent report finds its line already
// there and changes nothing.
import { Injectable } from '@nestjs/common';
import type { ReportJobEventRequest } from '@ferrite/proto';
import { PrismaService } from '../../../database/prisma.service.js';
import { inTransaction, type Tx } from '../../../database/transaction.js';
import { FilesRepository } from '../../files/files.repository.js';
import { TapesRepository } from '../../tapes/tapes.repository.js';
import { JobLogRepository } from '../lifecycle/job-log.repository.js';
import { jobChangesOf, type EventDecision, type JobForEvent, type TapeUpdate } from '../lifecycle/job-transitions.js';
import { JobsRepository, type JobRow } from '../lifecycle/jobs.repository.js';

export type RecordOutcome =
  { outcome: 'not-found' } | { outcome: 'duplicate'; job: JobRow; decision: EventDecision } | { outcome: 'recorded'; job: JobRow; decision: EventDecision };

@Injectable()
export class JobReportRecorder {
  constructor(
    private readonly prisma: PrismaService,
    private readonly jobs: JobsRepository,
    private readonly log: JobLogRepository,
    private readonly tapes: TapesRepository,
    private readonly placements: FilesRepository,
  ) {}

  /**
   * `decide` runs on the locked row and may throw a FerriteError to refuse the report (the
   * transaction then rolls back and nothing is stored). A report that keeps the job running extends
   * its lease to `leaseUntil`.
   */
  recordAgentEvent(ev: ReportJobEventRequest, decide: (job: JobForEvent) => EventDecision, leaseUntil?: Date): Promise<RecordOutcome> {
    return inTransaction(this.prisma, 'record job event', async (tx): Promise<RecordOutcome> => {
      const job = await this.jobs.lock(tx, ev.jobId);
      if (!job) return { outcome: 'not-found' };
      const decision = decide(job);
      if (!(await this.log.insertAgentLine(tx, ev, decision))) return { outcome: 'duplicate', job, decision };
      const changes = jobChangesOf(job, decision, leaseUntil);
      const updated = Object.keys(changes).length ? await this.jobs.update(tx, job.id, changes) : job;
      if (decision.tape) await this.applyTapeUpdate(tx, decision.tape);
      for (const t of decision.copyTapes ?? []) await this.applyTapeUpdate(tx, t);
      return { outcome: 'recorded', job: updated, decision };
    });
  }

  /** The tape's facts from the report; a completed format also takes the tape's placements away. */
  private async applyTapeUpdate(tx: Tx, t: TapeUpdate): Promise<void> {
    const tapeId = await this.tapes.applyAgentReport(tx, t);
    if (tapeId && t.reformatted) await this.placements.deleteOnTape(tx, tapeId);
  }
}
