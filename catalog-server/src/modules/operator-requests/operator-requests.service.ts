// Operator requests: created together with the job that waits for them (by the tape operations),
// satisfied when an agent's inventory shows the tape, and published to subscribers on each change.
// The dispatcher leaves a job with an OPEN request alone and picks it up on its next pass after.
import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '../../common/logger.js';
import { OperatorRequestModel, OperatorRequestStatusValue } from './models/operator-request.model.js';
import { OperatorRequestUpdatesPubSub } from './operator-request-updates.pubsub.js';
import { OperatorRequestsRepository, type NewOperatorRequest, type OperatorRequestRow } from './operator-requests.repository.js';

/** The queue reason of a job created waiting for these requests. */
export function waitingForOperatorReason(requests: NewOperatorRequest[]): string {
  return `waiting for an operator: ${requests.map((r) => r.message).join('; ')}`;
}

/** Where a tape is to be inserted: the agent, its host and the library to ask for. */
export interface TapeWhere {
  agentId: string;
  agentName: string;
  hostname: string;
  library: string | null;
  /** For an agent without a library: its standalone drive(s) ("st0", "st0 or st1"). */
  drive?: string | null;
}

/** The sentence an operator reads: where to put which tape (a library, else a standalone drive). */
export function insertTapeMessage(barcode: string, library: string | null, agentName: string, hostname: string, drive?: string | null): string {
  const into = library ? `library ${library}` : drive ? `drive ${drive}` : 'the library';
  return `insert tape ${barcode} into ${into} on host ${hostname}${hostname !== agentName ? ` (agent ${agentName})` : ''}`;
}

/** Where a backup's next tape goes: the library (or, for a standalone drive, the drive) on a host. */
export interface NextTapeWhere {
  pool: string | null;
  copy: number;
  /** Copies the job writes; the copy is named only when there are several. */
  copies: number;
  library: string | null;
  drive: string;
  agentName: string;
  hostname: string;
  jobId: string;
}

/** "insert a scratch tape of pool P into library L (drive D) on host H for job J (copy 2)". */
export function insertNextTapeMessage(w: NextTapeWhere): string {
  const what = w.pool ? `a scratch tape of pool ${w.pool} (or one of its tapes with room)` : 'a formatted writable tape';
  const into = w.library ? `library ${w.library} (drive ${w.drive})` : `drive ${w.drive}`;
  const host = `host ${w.hostname}${w.hostname !== w.agentName ? ` (agent ${w.agentName})` : ''}`;
  return `insert ${what} into ${into} on ${host} for backup ${w.jobId}${w.copies > 1 ? ` copy ${w.copy}` : ''}`;
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
    pool: row.pool,
    copy: row.copy,
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

  /** The request a job waits for when its tape is in no library of the agent. */
  requestToInsert(barcode: string, where: TapeWhere): NewOperatorRequest {
    return {
      barcode,
      agentId: where.agentId,
      changerName: where.library,
      message: insertTapeMessage(barcode, where.library, where.agentName, where.hostname, where.drive),
    };
  }

  /** The request a running job on a standalone drive raises for the cartridge it needs there. */
  requestForDrive(
    barcode: string,
    where: { agentId: string; agentName: string; hostname: string; drive: string; jobId: string; note: string },
  ): NewOperatorRequest {
    const message = `${insertTapeMessage(barcode, null, where.agentName, where.hostname, where.drive)} for job ${where.jobId}${where.note ? ` (${where.note})` : ''}`;
    return { barcode, agentId: where.agentId, changerName: null, message };
  }

  /** The request a running backup raises when no next tape is there for one copy. */
  requestNextTape(where: NextTapeWhere & { agentId: string }): NewOperatorRequest {
    return { barcode: null, pool: where.pool, copy: where.copy, agentId: where.agentId, changerName: where.library, message: insertNextTapeMessage(where) };
  }

  /** Says that requests were opened (the log, and the operatorRequestUpdated subscription). */
  async announce(jobId: string, rows: OperatorRequestRow[]): Promise<void> {
    for (const row of rows) {
      this.log.warn({ request: row.id, job: jobId, barcode: row.barcode, agent: row.agentName }, `operator request: ${row.message}`);
      await this.updates.publish(toOperatorRequestModel(row));
    }
  }

  /** A job whose creation failed after its requests were written (a backup without its runs): they go with it. */
  async discardForJob(jobId: string): Promise<void> {
    await this.requests.deleteForJob(jobId);
  }

  /** Says that requests were satisfied. */
  async announceSatisfied(rows: OperatorRequestRow[]): Promise<void> {
    for (const row of rows) {
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
