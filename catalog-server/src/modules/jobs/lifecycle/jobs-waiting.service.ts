// Jobs that wait for an operator: a job whose tapes are in no library of its agent is created
// QUEUED together with one request per missing tape ("insert FER009L9 into lib1 on tape-02"), in
// one transaction, so the dispatcher never sees the job without its requests; and when an agent's
// inventory shows the tapes, the requests are satisfied and the job released in one transaction.
// A running backup that filled a tape and finds no next one waits WAITING_FOR_TAPE (it keeps its
// agent and drive) with a request for any writable tape of its pool; the next tape it gets
// satisfies the request, and the job is RUNNING again once no copy waits.
// The job row is the jobs repository's to write, the requests the operator-requests repository's.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../../database/prisma.service.js';
import { inTransaction, type Tx } from '../../../database/transaction.js';
import { OperatorRequestsRepository } from '../../operator-requests/operator-requests.repository.js';
import type { OperatorRequestRow } from '../../operator-requests/operator-requests.repository.js';
import { OperatorRequestsService, waitingForOperatorReason, type NextTapeWhere, type TapeWhere } from '../../operator-requests/operator-requests.service.js';
import { JobsRepository, type JobRow, type NewJob } from './jobs.repository.js';
import { ACTIVE_STATUSES } from './job-transitions.js';
import { JobErrors } from './jobs.errors.js';
import { TapeErrors } from '../../tapes/tapes.errors.js';

@Injectable()
export class JobsWaitingService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly jobs: JobsRepository,
    private readonly requestRows: OperatorRequestsRepository,
    private readonly requests: OperatorRequestsService,
  ) {}

  /** A job that needs tapes no library holds: one request per tape. */
  async createJobWaitingForTapes(job: NewJob, where: TapeWhere & { barcodes: string[] }): Promise<JobRow> {
    const wanted = where.barcodes.map((barcode) => this.requests.requestToInsert(barcode, where));
    const reason = waitingForOperatorReason(wanted);
    const created = await inTransaction(this.prisma, 'create job waiting for an operator', async (tx) => {
      const row = await this.jobs.insert(tx, { ...job, queueReason: reason });
      return { job: row, requests: await this.requestRows.insertForJob(tx, row.id, wanted) };
    });
    await this.requests.announce(created.job.id, created.requests);
    return created.job;
  }

  /**
   * The agent's libraries changed (it registered, or a job sent its inventory): OPEN requests for
   * tapes now there are satisfied, and a job whose last request that was goes back to the
   * dispatcher, in one transaction.
   */
  async tapesArrived(agentId: string): Promise<void> {
    const satisfied = await inTransaction(this.prisma, 'satisfy operator requests', async (tx) => {
      const rows = await this.requestRows.satisfyFound(tx, agentId);
      if (rows.length) await this.jobs.releaseToDispatcher(tx, [...new Set(rows.map((r) => r.jobId))]);
      return rows;
    });
    await this.requests.announceSatisfied(satisfied);
  }

  /**
   * A running backup's copy found no next tape: the job waits WAITING_FOR_TAPE (why, in its queue
   * reason) with an OPEN request for the operator, in the caller's transaction. Returns the
   * request when it is new or changed (to announce after the commit), null for a retried ask.
   */
  async waitForNextTape(tx: Tx, job: JobRow, where: NextTapeWhere & { agentId: string }, reason: string): Promise<OperatorRequestRow | null> {
    const request = this.requests.requestNextTape(where);
    const queueReason = `waiting for a tape: ${reason}; ${request.message}`;
    if (job.status !== 'WAITING_FOR_TAPE' || job.queueReason !== queueReason) {
      await this.jobs.update(tx, job.id, { status: 'WAITING_FOR_TAPE', queueReason });
    }
    return this.requestRows.openForNextTape(tx, job.id, request);
  }

  /** The copy got its next tape: its request is satisfied, and the job runs again once no copy waits. */
  async nextTapeTaken(tx: Tx, job: JobRow, copy: number): Promise<OperatorRequestRow[]> {
    const satisfied = await this.requestRows.satisfyNextTape(tx, job.id, copy);
    if (job.status === 'WAITING_FOR_TAPE' && !(await this.requestRows.hasOpen(tx, job.id))) {
      await this.jobs.update(tx, job.id, { status: 'RUNNING', queueReason: null });
    }
    return satisfied;
  }

  /**
   * A running job on a standalone drive needs `barcode` there (RequestTape): with `done` false the
   * job waits WAITING_FOR_TAPE behind an OPEN request naming the drive and host; with `done` true
   * the request is satisfied and the job RUNNING again once nothing else is open. Idempotent.
   */
  async tapeRequested(req: {
    agentId: string;
    jobId: string;
    attempt: number;
    barcode: string;
    driveName: string;
    done: boolean;
    note: string;
  }): Promise<void> {
    const { opened, satisfied } = await inTransaction(this.prisma, 'operator request of a running job', async (tx) => {
      const job = await this.jobs.lock(tx, req.jobId);
      if (!job) throw JobErrors.notFound(req.jobId);
      if (job.agentId !== req.agentId) throw JobErrors.notOwned(job.id, req.agentId);
      if (job.attempt !== req.attempt) throw JobErrors.staleAttempt(job.id, req.attempt, job.attempt);
      if (!ACTIVE_STATUSES.includes(job.status)) throw JobErrors.invalidEvent(`job ${job.id} is not running (${job.status})`, { jobId: job.id });
      // No operator can be asked for a cartridge the catalog has never heard of.
      if (!(await tx.tape.findUnique({ where: { barcode: req.barcode }, select: { id: true } }))) throw TapeErrors.notFound(req.barcode);
      if (req.done) {
        const rows = await this.requestRows.satisfyTape(tx, job.id, req.barcode);
        if (job.status === 'WAITING_FOR_TAPE' && !(await this.requestRows.hasOpen(tx, job.id))) {
          await this.jobs.update(tx, job.id, { status: 'RUNNING', queueReason: null });
        }
        return { opened: null, satisfied: rows };
      }
      const agent = await tx.agent.findUnique({ where: { id: req.agentId }, select: { name: true, hostname: true } });
      const request = this.requests.requestForDrive(req.barcode, {
        agentId: req.agentId,
        agentName: agent?.name ?? '',
        hostname: agent?.hostname ?? '',
        drive: req.driveName,
        jobId: job.id,
        note: req.note,
      });
      const queueReason = `waiting for an operator: ${request.message}`;
      if (job.status !== 'WAITING_FOR_TAPE' || job.queueReason !== queueReason) {
        await this.jobs.update(tx, job.id, { status: 'WAITING_FOR_TAPE', queueReason });
      }
      return { opened: await this.requestRows.openForTape(tx, job.id, { ...request, barcode: req.barcode }), satisfied: [] };
    });
    if (opened) await this.requests.announce(req.jobId, [opened]);
    if (satisfied.length) await this.requests.announceSatisfied(satisfied);
  }

  announce(requests: OperatorRequestRow[], satisfied: boolean): Promise<void> {
    if (satisfied) return this.requests.announceSatisfied(requests);
    return requests.length ? this.requests.announce(requests[0].jobId, requests) : Promise.resolve();
  }

  createJobWaitingForTape(job: NewJob, where: TapeWhere & { barcode: string }): Promise<JobRow> {
    return this.createJobWaitingForTapes(job, { ...where, barcodes: [where.barcode] });
  }
}
