// GraphQL edge of the audit log (ADMIN): newest first, filtered by operator, operation, result, time.
import { Args, Query, Resolver } from '@nestjs/graphql';
import { PageArgs, pageSize } from '../../common/pagination.js';
import { AuditService } from './audit.service.js';
import { AuditEventConnection, AuditEventModel } from './models/audit-event.model.js';
import { RequireRole, Role } from './roles.js';

@Resolver(() => AuditEventModel)
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @RequireRole(Role.ADMIN)
  @Query(() => AuditEventConnection, { description: 'The audit log, newest first. GET /audit.jsonl exports it (oldest first) as JSON lines.' })
  async auditLog(
    @Args() page: PageArgs,
    @Args('operator', { type: () => String, nullable: true }) operator: string | null,
    @Args('operation', { type: () => String, nullable: true, description: 'e.g. "Mutation.formatTape"' }) operation: string | null,
    @Args('result', { type: () => String, nullable: true, description: '"OK" or an error code' }) result: string | null,
    @Args('since', { type: () => Date, nullable: true }) since: Date | null,
    @Args('until', { type: () => Date, nullable: true }) until: Date | null,
  ): Promise<AuditEventConnection> {
    const first = pageSize(page.first);
    const { events, total } = await this.audit.list({ operator, operation, result, since, until }, first + 1, page.after ?? null);
    const shown = events.slice(0, first);
    return {
      edges: shown.map((e) => ({ node: { ...e, arguments: e.arguments === null ? null : JSON.stringify(e.arguments) }, cursor: e.id })),
      pageInfo: { hasNextPage: events.length > first, endCursor: shown.at(-1)?.id ?? null },
      totalCount: total,
    };
  }
}
