// Operator requests: created together with the job that waits for them (by the tape operations),
// satisfied when an agent's inventory shows the tape, and published to subscribers on each change.
// The dispatcher leaves a job with an OPEN request alone and picks it up on its next pass after.
import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '../../common/logger.js';
import type { JobRow, NewJob } from '../jobs/jobs.repository.js';
import { OperatorRequestModel, OperatorRequestStatusValue } from './models/operator-request.model.js';
import { OperatorRequestUpdatesPubSub } from './operator-request-updates.pubsub.js';
import { OperatorRequestsRepository, type OperatorRequestRow } from './operator-requests.repository.js';

/** The sentence an operator reads: where to put which tape. */
export function insertTapeMessage(barcode: string, library: string | null, agentName: string, hostname: string): string {
  return `insert tape ${barcode} into ${library ? `library ${library}` : 'the library'} on host ${hostname}${hostname !== agentName ? ` (agent ${agentName})` : ''}`;
}

/** The library a request names: the one the operator chose, else the agent's only one, else none ("the library"). */
export function libraryToAskFor(named: string | null | undefined, libraries: string[]): string | null {
  if (named) return named;
  return libraries.length === 1 ? libraries[0] : null;
}

export function toOperatorRequestModel(row: OperatorRequestRow): OperatorRequestModel {
  return {
    id: row.id,
    status: OperatorRequestStatusValue[row.status],
    message: row.message,
    barcode: row.barcode,
    agent: row.agentName,
    hostname: row.hostname,
    library: row.changerName,
    jobId: row.jobId,
    createdAt: row.createdAt,
    resolvedAt: row.resolvedAt,
  };
}

@Injectable()
export class OperatorRequestsService {
  private readonly log: Logger;

  constructor(
    private readonly requests: OperatorRequestsRepository,
    private readonly updates: OperatorRequestUpdatesPubSub,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'operator-requests' });
  }

  async createJobWaitingForTape(
    job: NewJob,
    where: { barcode: string; agentId: string; agentName: string; hostname: string; library: string | null },
  ): Promise<JobRow> {
    const message = insertTapeMessage(where.barcode, where.library, where.agentName, where.hostname);
    const created = await this.requests.createJobWithRequest(job, { barcode: where.barcode, agentId: where.agentId, changerName: where.library, message });
    this.log.warn({ request: created.request.id, job: created.job.id, barcode: where.barcode, agent: where.agentName }, `operator request: ${message}`);
    await this.updates.publish(toOperatorRequestModel(created.request));
    return created.job;
  }

  /** A job that needs several tapes no library holds (a restore): one request per tape. */
  async createJobWaitingForTapes(
    job: NewJob,
    where: { barcodes: string[]; agentId: string; agentName: string; hostname: string; library: string | null },
  ): Promise<JobRow> {
    const created = await this.requests.createJobWithRequests(
      job,
      where.barcodes.map((barcode) => ({
        barcode,
        agentId: where.agentId,
        changerName: where.library,
        message: insertTapeMessage(barcode, where.library, where.agentName, where.hostname),
      })),
    );
    for (const row of created.requests) {
      this.log.warn({ request: row.id, job: created.job.id, barcode: row.barcode, agent: where.agentName }, `operator request: ${row.message}`);
      await this.updates.publish(toOperatorRequestModel(row));
    }
    return created.job;
  }

  /** A job whose creation failed after its requests were written (a backup without its runs): they go with it. */
  async discardForJob(jobId: string): Promise<void> {
    await this.requests.deleteForJob(jobId);
  }

  async satisfyFound(agentId: string): Promise<void> {
    for (const row of await this.requests.satisfyFound(agentId)) {
      this.log.info({ request: row.id, job: row.jobId, barcode: row.barcode }, 'operator request satisfied');
      await this.updates.publish(toOperatorRequestModel(row));
    }
  }

  async list(status: OperatorRequestStatusValue | null | undefined, first: number): Promise<OperatorRequestModel[]> {
    for (const row of await this.requests.closeAbandoned()) await this.updates.publish(toOperatorRequestModel(row));
    return (await this.requests.list(status ?? undefined, Math.min(Math.max(1, first), 1000))).map(toOperatorRequestModel);
  }

  async forJob(jobId: string): Promise<OperatorRequestModel[]> {
    return (await this.requests.forJob(jobId)).map(toOperatorRequestModel);
  }
}
