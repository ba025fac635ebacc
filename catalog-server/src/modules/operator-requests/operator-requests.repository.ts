// The only code that reads and writes operator requests. A request and the job that waits for it
// are created in one transaction, and satisfied together with the job's release to the dispatcher
// (jobs/jobs-waiting.service.ts opens both), so the dispatcher never sees the job without them.
import { Injectable } from '@nestjs/common';
import type { OperatorRequest, OperatorRequestStatus } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation } from '../../database/database-errors.js';
import type { Tx } from '../../database/transaction.js';

export type OperatorRequestRow = OperatorRequest & { agentName: string; hostname: string };

export interface NewOperatorRequest {
  /** The tape wanted; null when any writable tape of `pool` will do (a backup's next tape). */
  barcode: string | null;
  pool?: string | null;
  /** The copy of a backup that waits for its next tape. */
  copy?: number | null;
  agentId: string;
  changerName: string | null;
  message: string;
}

@Injectable()
export class OperatorRequestsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Stores the requests a new job waits for, in the caller's transaction (the one that creates
   *  the job: the dispatcher never sees the job without its requests). */
  async insertForJob(tx: Tx, jobId: string, requests: NewOperatorRequest[]): Promise<OperatorRequestRow[]> {
    const rows = [];
    for (const request of requests) rows.push(await tx.operatorRequest.create({ data: { ...request, jobId } }));
    return this.withAgents(rows, tx);
  }

  /**
   * Marks OPEN requests of the agent SATISFIED when their tape now sits in that agent's library, in
   * the caller's transaction (which lets their jobs go back to the dispatcher). Returns them.
   */
  async satisfyFound(tx: Tx, agentId: string): Promise<OperatorRequestRow[]> {
    const done = await tx.$queryRaw<{ id: string }[]>`
      UPDATE operator_request r SET status = 'SATISFIED', resolved_at = now()
      FROM tape t
      WHERE r.status = 'OPEN' AND r.agent_id = ${agentId}::uuid AND t.barcode = r.barcode AND t.agent_id = r.agent_id
      RETURNING r.id::text AS id`;
    if (done.length === 0) return [];
    return this.withAgents(await tx.operatorRequest.findMany({ where: { id: { in: done.map((d) => d.id) } } }), tx);
  }

  /**
   * Opens the request for a running backup's next tape for one copy, in the caller's transaction,
   * or brings the OPEN one up to date (the reason may change while it waits). Returns the row when
   * it is new or its message changed, null when nothing changed (a retried ask).
   */
  async openForNextTape(tx: Tx, jobId: string, request: NewOperatorRequest): Promise<OperatorRequestRow | null> {
    const open = await tx.operatorRequest.findFirst({ where: { jobId, copy: request.copy, barcode: null, status: 'OPEN' } });
    if (open?.message === request.message) return null;
    const row = open
      ? await tx.operatorRequest.update({ where: { id: open.id }, data: { message: request.message, changerName: request.changerName } })
      : await tx.operatorRequest.create({ data: { ...request, jobId } });
    return (await this.withAgents([row], tx))[0];
  }

  /**
   * Opens the request of a running job for one cartridge (a standalone drive), in the caller's
   * transaction, or brings the OPEN one up to date. Returns the row when new or changed, else null.
   */
  async openForTape(tx: Tx, jobId: string, request: NewOperatorRequest & { barcode: string }): Promise<OperatorRequestRow | null> {
    const open = await tx.operatorRequest.findFirst({ where: { jobId, barcode: request.barcode, status: 'OPEN' } });
    if (open?.message === request.message) return null;
    const row = open
      ? await tx.operatorRequest.update({ where: { id: open.id }, data: { message: request.message } })
      : await tx.operatorRequest.create({ data: { ...request, jobId } });
    return (await this.withAgents([row], tx))[0];
  }

  /** Marks the job's OPEN requests for `barcode` SATISFIED (it is in the drive now); returns them. */
  async satisfyTape(tx: Tx, jobId: string, barcode: string): Promise<OperatorRequestRow[]> {
    const open = await tx.operatorRequest.findMany({ where: { jobId, barcode, status: 'OPEN' } });
    if (open.length === 0) return [];
    await tx.operatorRequest.updateMany({ where: { id: { in: open.map((r) => r.id) } }, data: { status: 'SATISFIED', resolvedAt: new Date() } });
    return this.withAgents(await tx.operatorRequest.findMany({ where: { id: { in: open.map((r) => r.id) } } }), tx);
  }

  /** Marks the job's OPEN next-tape request of that copy SATISFIED (it got a tape); returns it. */
  async satisfyNextTape(tx: Tx, jobId: string, copy: number): Promise<OperatorRequestRow[]> {
    const open = await tx.operatorRequest.findMany({ where: { jobId, copy, barcode: null, status: 'OPEN' } });
    if (open.length === 0) return [];
    await tx.operatorRequest.updateMany({ where: { id: { in: open.map((r) => r.id) } }, data: { status: 'SATISFIED', resolvedAt: new Date() } });
    const rows = await tx.operatorRequest.findMany({ where: { id: { in: open.map((r) => r.id) } } });
    return this.withAgents(rows, tx);
  }

  /** Whether the job still waits for any request. */
  async hasOpen(tx: Tx, jobId: string): Promise<boolean> {
    return (await tx.operatorRequest.count({ where: { jobId, status: 'OPEN' } })) > 0;
  }

  deleteForJob(jobId: string): Promise<void> {
    return dbOperation('delete operator requests', async () => {
      await this.prisma.client.operatorRequest.deleteMany({ where: { jobId } });
    });
  }

  /**
   * Requests whose job ended without them (cancelled, failed) are closed as CANCELLED, and so is a
   * next-tape request of a job interrupted while it waited (its resumed attempt asks again).
   */
  closeAbandoned(): Promise<OperatorRequestRow[]> {
    return dbOperation('close abandoned operator requests', async () => {
      const rows = await this.prisma.client.$queryRaw<{ id: string }[]>`
        UPDATE operator_request r SET status = 'CANCELLED', resolved_at = now()
        FROM job j
        WHERE r.status = 'OPEN' AND j.id = r.job_id
          AND (j.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') OR (j.status = 'INTERRUPTED' AND r.barcode IS NULL))
        RETURNING r.id::text AS id`;
      if (rows.length === 0) return [];
      return this.withAgents(await this.prisma.client.operatorRequest.findMany({ where: { id: { in: rows.map((r) => r.id) } } }));
    });
  }

  list(status: OperatorRequestStatus | undefined, take: number): Promise<OperatorRequestRow[]> {
    return dbOperation('list operator requests', async () =>
      this.withAgents(
        await this.prisma.client.operatorRequest.findMany({ where: status ? { status } : {}, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take }),
      ),
    );
  }

  forJob(jobId: string): Promise<OperatorRequestRow[]> {
    return dbOperation('list operator requests', async () =>
      this.withAgents(await this.prisma.client.operatorRequest.findMany({ where: { jobId }, orderBy: { createdAt: 'asc' } })),
    );
  }

  private async withAgents(rows: OperatorRequest[], client: Pick<PrismaService['client'], 'agent'> = this.prisma.client): Promise<OperatorRequestRow[]> {
    const agents = await client.agent.findMany({
      where: { id: { in: [...new Set(rows.map((r) => r.agentId))] } },
      select: { id: true, name: true, hostname: true },
    });
    const byId = new Map(agents.map((a) => [a.id, a]));
    return rows.map((r) => ({ ...r, agentName: byId.get(r.agentId)?.name ?? '', hostname: byId.get(r.agentId)?.hostname ?? '' }));
  }
}
