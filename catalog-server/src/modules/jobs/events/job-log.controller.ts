// GET /jobs/:id/log.jsonl: a job's log as JSON lines over plain HTTP, so `curl` can fetch it
// without a GraphQL client (with the same API token: `curl -H 'Authorization: Bearer ...'`). Streams page by page; an unknown job is a 404 with the JOB_NOT_FOUND code.
import { Controller, Get, Param, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { isUuid } from '../../../common/ids.js';
import { jobLogLines } from './job-log-export.js';
import { JobLogRepository } from '../lifecycle/job-log.repository.js';
import { JobsRepository } from '../lifecycle/jobs.repository.js';
import { RequireRole, Role } from '../../auth/roles.js';

@Controller('jobs')
export class JobLogController {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly jobLog: JobLogRepository,
  ) {}

  @RequireRole(Role.VIEWER)
  @Get(':id/log.jsonl')
  async log(@Param('id') id: string, @Res() res: ServerResponse): Promise<void> {
    if (!isUuid(id) || !(await this.jobs.findById(id))) {
      res.statusCode = 404;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ code: 'JOB_NOT_FOUND', message: `job ${JSON.stringify(id)} does not exist` }));
      return;
    }
    res.statusCode = 200;
    res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="job-${id}.jsonl"`);
    try {
      for await (const line of jobLogLines(this.jobLog, id)) {
        if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
      }
    } finally {
      res.end();
    }
  }
}
