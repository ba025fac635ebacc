// Jobs that wait for an operator: a job whose tapes are in no library of its agent is created
// QUEUED together with one request per missing tape ("insert FER009L9 into lib1 on tape-02"), in
// one transaction, so the dispatcher never sees the job without its requests; and when an agent's
// inventory shows the tapes, the requests are satisfied and the job released in one transaction.
// The job row is the jobs repository's to write, the requests the operator-requests repository's.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../../database/prisma.service.js';
import { inTransaction } from '../../../database/transaction.js';
import { OperatorRequestsRepository } from '../../operator-requests/operator-requests.repository.js';
import { OperatorRequestsService, waitingForOperatorReason, type TapeWhere } from '../../operator-requests/operator-requests.service.js';
import { JobsRepository, type JobRow, type NewJob } from './jobs.repository.js';

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

  createJobWaitingForTape(job: NewJob, where: TapeWhere & { barcode: string }): Promise<JobRow> {
    return this.createJobWaitingForTapes(job, { ...where, barcodes: [where.barcode] });
  }
}
