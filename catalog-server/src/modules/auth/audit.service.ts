// Records the audit log: each mutation (after it ran: who, what, arguments without secrets, the
// result) and each refused request (no valid token, a role too low). Recording never changes the
// outcome of the request; a failed write is logged as an error.
import { Inject, Injectable } from '@nestjs/common';
import type { AuditEvent } from '@ferrite/db';
import { FerriteError } from '../../common/errors.js';
import { LOGGER, type Logger } from '../../common/logger.js';
import { AuditRepository, type AuditFilter, type NewAuditEvent } from './audit.repository.js';

export interface AuditEventView {
  id: string;
  at: Date;
  operator: string | null;
  tokenId: string | null;
  address: string | null;
  operation: string;
  arguments: unknown;
  result: string;
  message: string | null;
}

@Injectable()
export class AuditService {
  private readonly log: Logger;

  constructor(
    private readonly repo: AuditRepository,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'audit' });
  }

  async record(e: NewAuditEvent): Promise<void> {
    try {
      await this.repo.insert(e);
    } catch (err) {
      this.log.error({ err, event: { ...e, arguments: undefined } }, 'could not write an audit event');
    }
  }

  /**
   * A request refused for want of a valid token (UNAUTHENTICATED; other errors are not refusals of
   * an identity). A flood of them is cut by the failed-authentication limit, whose own refusals
   * (RATE_LIMITED) are not recorded.
   */
  async recordUnauthenticated(err: FerriteError, address: string | null | undefined, operation: string): Promise<void> {
    if (err.code !== 'UNAUTHENTICATED') return;
    await this.record({ operator: null, tokenId: null, address: address ?? null, operation, arguments: null, result: err.code, message: err.message });
  }

  async list(filter: AuditFilter, first: number, before: string | null): Promise<{ events: AuditEventView[]; total: number }> {
    const beforeId = before === null ? null : parseId(before);
    const [rows, total] = await Promise.all([this.repo.list(filter, first, beforeId), this.repo.count(filter)]);
    return { events: rows.map(toView), total };
  }

  /** Every event of the filter, oldest first, one JSON line each. */
  async *lines(filter: AuditFilter): AsyncGenerator<string> {
    let after = 0n;
    for (;;) {
      const rows = await this.repo.page(filter, after, 1000);
      for (const r of rows) yield JSON.stringify(toView(r)) + '\n';
      if (rows.length < 1000) return;
      after = rows[rows.length - 1].id;
    }
  }
}

function parseId(cursor: string): bigint {
  if (!/^\d{1,19}$/.test(cursor)) throw new FerriteError('INVALID_CURSOR', `${JSON.stringify(cursor)} is not an audit log cursor (the endCursor of a page)`);
  return BigInt(cursor);
}

function toView(r: AuditEvent): AuditEventView {
  return {
    id: r.id.toString(),
    at: r.at,
    operator: r.operator,
    tokenId: r.tokenId,
    address: r.address,
    operation: r.operation,
    arguments: r.arguments,
    result: r.result,
    message: r.message,
  };
}
