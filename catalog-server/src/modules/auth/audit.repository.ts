// The only code that reads and writes the audit log.
import { Injectable } from '@nestjs/common';
import type { AuditEvent, Prisma } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation } from '../../database/database-errors.js';

export interface NewAuditEvent {
  operator: string | null;
  tokenId: string | null;
  address: string | null;
  operation: string;
  arguments: Record<string, unknown> | null;
  result: string;
  message: string | null;
}

export interface AuditFilter {
  operator?: string | null;
  operation?: string | null;
  result?: string | null;
  since?: Date | null;
  until?: Date | null;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(e: NewAuditEvent): Promise<void> {
    await this.prisma.client.auditEvent.create({
      data: { ...e, arguments: (e.arguments ?? undefined) as Prisma.InputJsonValue | undefined },
    });
  }

  /** Newest first, below `beforeId` when given. */
  list(filter: AuditFilter, first: number, beforeId: bigint | null): Promise<AuditEvent[]> {
    return dbOperation('reading the audit log', () =>
      this.prisma.client.auditEvent.findMany({
        where: { ...where(filter), ...(beforeId !== null ? { id: { lt: beforeId } } : {}) },
        orderBy: { id: 'desc' },
        take: first,
      }),
    );
  }

  count(filter: AuditFilter): Promise<number> {
    return dbOperation('counting audit events', () => this.prisma.client.auditEvent.count({ where: where(filter) }));
  }

  /** Oldest first, after `afterId` (the export's pages). */
  page(filter: AuditFilter, afterId: bigint, size: number): Promise<AuditEvent[]> {
    return dbOperation('exporting the audit log', () =>
      this.prisma.client.auditEvent.findMany({ where: { ...where(filter), id: { gt: afterId } }, orderBy: { id: 'asc' }, take: size }),
    );
  }
}

function where(f: AuditFilter): Prisma.AuditEventWhereInput {
  return {
    ...(f.operator ? { operator: f.operator } : {}),
    ...(f.operation ? { operation: f.operation } : {}),
    ...(f.result ? { result: f.result } : {}),
    ...(f.since || f.until ? { at: { ...(f.since ? { gte: f.since } : {}), ...(f.until ? { lt: f.until } : {}) } } : {}),
  };
}
