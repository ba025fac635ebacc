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
  barcode: string;
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

  deleteForJob(jobId: string): Promise<void> {
    return dbOperation('delete operator requests', async () => {
      await this.prisma.client.operatorRequest.deleteMany({ where: { jobId } });
    });
  }

  /** Requests whose job ended without them (cancelled, failed) are closed as CANCELLED. */
  closeAbandoned(): Promise<OperatorRequestRow[]> {
    return dbOperation('close abandoned operator requests', async () => {
      const rows = await this.prisma.client.$queryRaw<{ id: string }[]>`
        UPDATE operator_request r SET status = 'CANCELLED', resolved_at = now()
        FROM job j
        WHERE r.status = 'OPEN' AND j.id = r.job_id AND j.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
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
