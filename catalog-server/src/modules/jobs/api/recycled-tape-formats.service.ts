// Recycling reuses tapes: after every retention pass, each recycled tape that awaits its format and
// sits in a library gets one FORMAT job (force: its volume still holds the expired runs), which
// writes a new volume (new volume UUID, next label generation) and clears the tape's
// reformatPending once it completes. Until then no backup takes the tape (tape choice skips it).
// One format per recycling, whatever the number of replicas and passes: the job's idempotency key
// names the tape and the instant it was recycled. A format that fails is not queued again; the
// operator sees the failed job and formats the tape by hand (formatTape with force) or retires it.
// A recycled tape on the shelf is queued once an inventory finds it in a library.
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { LOGGER, type Logger } from '../../../common/logger.js';
import { PoolRetentionService } from '../../tapes/pool-retention.service.js';
import { TapesRepository } from '../../tapes/tapes.repository.js';
import { JOB_PRIORITY } from '../lifecycle/job-priority.js';
import type { FormatJobSpec } from '../lifecycle/job-spec.js';
import { JobsRepository } from '../lifecycle/jobs.repository.js';
import { DispatcherService } from '../dispatch/dispatcher.service.js';

/** The idempotency key of the format that follows one recycling of one tape. */
export function recycledFormatKey(barcode: string, recycledAt: Date): string {
  return `recycled-format:${barcode}:${recycledAt.toISOString()}`;
}

@Injectable()
export class RecycledTapeFormatsService implements OnModuleInit {
  private readonly log: Logger;

  constructor(
    private readonly tapes: TapesRepository,
    private readonly jobs: JobsRepository,
    private readonly retention: PoolRetentionService,
    private readonly dispatcher: DispatcherService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'retention' });
  }

  onModuleInit(): void {
    this.retention.onPassDone(() => this.queueFormats().then(() => undefined));
  }

  /** Queues the format of every recycled tape in a library that has none yet. Returns the barcodes queued. */
  async queueFormats(): Promise<string[]> {
    const queued: string[] = [];
    for (const tape of await this.tapes.listAwaitingReformat()) {
      const spec: FormatJobSpec = { barcode: tape.barcode, force: true, pool: tape.pool };
      const { job, created } = await this.jobs.create({
        kind: 'FORMAT',
        agentId: tape.agentId,
        priority: JOB_PRIORITY.FORMAT,
        spec,
        idempotencyKey: recycledFormatKey(tape.barcode, tape.recycledAt),
      });
      if (!created) continue;
      queued.push(tape.barcode);
      this.log.info({ job: job.id, tape: tape.barcode, pool: tape.pool }, 'format of a recycled tape queued: it takes new data on a new volume');
    }
    if (queued.length) this.dispatcher.kick();
    return queued;
  }
}
