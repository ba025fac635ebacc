// GET /audit.jsonl[?since=ISO&until=ISO&operator=NAME]: the audit log as JSON lines, oldest first,
// for a SIEM or an archive (ADMIN token). Streams page by page.
import { Controller, Get, HttpException, Query, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { AuditService } from './audit.service.js';
import { RequireRole, Role } from './roles.js';

@Controller()
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @RequireRole(Role.ADMIN)
  @Get('audit.jsonl')
  async export(
    @Query('since') since: string | undefined,
    @Query('until') until: string | undefined,
    @Query('operator') operator: string | undefined,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const filter = { since: when('since', since), until: when('until', until), operator: operator ?? null };
    res.statusCode = 200;
    res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('content-disposition', 'attachment; filename="ferrite-audit.jsonl"');
    try {
      for await (const line of this.audit.lines(filter)) {
        if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
      }
    } finally {
      res.end();
    }
  }
}

function when(name: string, value: string | undefined): Date | null {
  if (value === undefined || value === '') return null;
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t))
    throw new HttpException({ code: 'INVALID_ARGUMENT', message: `${name} must be an ISO 8601 time, not ${JSON.stringify(value)}` }, 400);
  return new Date(t);
}
