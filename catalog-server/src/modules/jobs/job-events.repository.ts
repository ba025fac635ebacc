// Stores agent job reports: one transaction per report that locks the job, inserts the event
// idempotently on (job, attempt, seq), and applies the decided change to the job and its tape.
// A re-sent report finds its row already there and changes nothing.
import { Injectable } from '@nestjs/common';
import { Prisma } from '@ferrite/db';
import type { ReportJobEventRequest } from '@ferrite/proto';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation } from '../../database/database-errors.js';
import { lockJob, type Tx } from './job-event-log.js';
import type { EventDecision, JobForEvent, TapeUpdate } from './job-transitions.js';
import { jobInclude, type JobRow } from './jobs.repository.js';

export type RecordOutcome =
  { outcome: 'not-found' } | { outcome: 'duplicate'; job: JobRow; decision: EventDecision } | { outcome: 'recorded'; job: JobRow; decision: EventDecision };

@Injectable()
export class JobEventsRepository {
  constructor(private readonly prisma: PrismaService) {}

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

  // Facts the agent read off the volume. A completed format leaves an empty volume: whatever the
  // catalog said was on the tape is gone, so its placements go too (the catalog never claims
  // data that is not on tape).
  private async applyTapeUpdate(tx: Tx, t: TapeUpdate): Promise<void> {
    const tape = await tx.tape.findUnique({ where: { barcode: t.barcode }, select: { id: true } });
    if (!tape) return;
    const pool = t.pool ? await tx.pool.findUnique({ where: { name: t.pool }, select: { id: true } }) : null;
    await tx.$executeRaw`
      UPDATE tape SET
        capacity_bytes = CASE WHEN ${t.capacityBytes}::bigint > 0 THEN ${t.capacityBytes}::bigint ELSE capacity_bytes END,
        used_bytes = ${t.usedBytes}::bigint,
        volume_uuid = COALESCE(${t.volumeUuid}::uuid, volume_uuid),
        formatted_at = CASE WHEN ${t.reformatted}::boolean THEN now() WHEN ${t.formatted}::boolean THEN COALESCE(formatted_at, now()) ELSE formatted_at END,
        state = CASE WHEN ${t.reformatted}::boolean THEN 'SCRATCH'::"TapeState"
                     WHEN ${t.written}::boolean AND state = 'SCRATCH' THEN 'ACTIVE'::"TapeState"
                     ELSE state END,
        pool_id = CASE WHEN ${pool?.id ?? null}::uuid IS NOT NULL AND (${t.reformatted}::boolean OR pool_id IS NULL) THEN ${pool?.id ?? null}::uuid ELSE pool_id END,
        updated_at = now()
      WHERE id = ${tape.id}::uuid`;
    if (t.reformatted) await tx.placement.deleteMany({ where: { tapeId: tape.id } });
  }
}
