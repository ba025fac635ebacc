// startBackup accepts a backup whatever its size (it may wait for tapes); how much it will write is
// known only once the agent has scanned, which its first PROGRESS with a byte total tells. Then, once
// per attempt, the tapes in reach are counted as planBackup counts them, and a source the pool's
// tapes cannot hold gets a warning in the job's log: "the job will wait for tapes: needs 3, 1
// available in pool weekly on agent tape-01". A warning only: the job goes on and waits when it must.
import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '../../../common/logger.js';
import { PrismaService } from '../../../database/prisma.service.js';
import { inTransaction } from '../../../database/transaction.js';
import { TapesInReachService } from '../dispatch/tapes-in-reach.service.js';
import { tryParseJobSpec } from '../lifecycle/job-spec.js';
import { JobLogRepository } from '../lifecycle/job-log.repository.js';
import { JobsRepository, type JobRow } from '../lifecycle/jobs.repository.js';

/** The log line's type (server lines are typed; an operator can filter on it). */
export const TAPES_SHORT = 'TAPES_SHORT';
/** Attempts remembered as checked in this process (then forgotten: the log line check still holds). */
const MEMORY = 10_000;

@Injectable()
export class BackupTapeWarnings {
  private readonly log: Logger;
  private readonly checked = new Set<string>();

  constructor(
    private readonly tapesInReach: TapesInReachService,
    private readonly jobs: JobsRepository,
    private readonly jobLog: JobLogRepository,
    private readonly prisma: PrismaService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'backup-tape-warnings' });
  }

  /** After a backup's progress report that carries the bytes it will write. Never throws. */
  async afterScan(job: JobRow, bytesTotal: number): Promise<void> {
    const key = `${job.id}:${job.attempt}`;
    if (job.kind !== 'BACKUP' || bytesTotal <= 0 || !job.agentId || this.checked.has(key)) return;
    if (this.checked.size >= MEMORY) this.checked.clear();
    this.checked.add(key);
    try {
      const spec = tryParseJobSpec('BACKUP', job.spec);
      if (!spec) return;
      const need = await this.tapesInReach.need({ id: job.agentId, name: spec.host }, spec.pool ?? null, bytesTotal, job.id);
      if (!need.shortage) return;
      const message = `${need.shortage} (${bytesTotal} bytes to write, ${need.usableBytesPerTape} per tape)`;
      await inTransaction(this.prisma, 'logging a tape shortage', async (tx) => {
        // Another replica may have taken the same report's twin: one line per attempt.
        if (!(await this.jobs.lock(tx, job.id)) || (await this.jobLog.hasServerLine(tx, job.id, job.attempt, TAPES_SHORT))) return;
        await this.jobLog.appendServerLine(tx, job.id, job.attempt, TAPES_SHORT, message, 'warn');
      });
      this.log.warn({ job: job.id, message }, 'backup may wait for tapes');
    } catch (err) {
      this.checked.delete(key);
      this.log.warn({ err, job: job.id }, 'could not count the tapes a backup needs');
    }
  }
}
