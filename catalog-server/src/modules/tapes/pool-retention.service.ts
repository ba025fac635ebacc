// Retention: a periodic pass (every replica runs it; row locks make each tape handled once) that
// returns written tapes to scratch once everything on them has expired under their pool's policy,
// and never before (WORM tapes never). A recycled tape awaits a format before any backup takes it;
// the jobs module queues that format after each pass (onPassDone), so this module creates no jobs.
// Operators can also run a pass at once (applyRetention).
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { LOGGER, type Logger } from '../../common/logger.js';
import { PoolRetentionRepository, type RecycledTape } from './pool-retention.repository.js';

const PASS_INTERVAL_MS = 15 * 60_000;

@Injectable()
export class PoolRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RecycledTape[]> | null = null;
  private readonly afterPass: Array<() => Promise<void>> = [];

  constructor(
    private readonly retention: PoolRetentionRepository,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'retention' });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.apply().catch((err: unknown) => this.log.error({ err }, 'retention pass failed')), PASS_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => {});
  }

  /** Work to do after every pass (the jobs module queues the formats of recycled tapes). */
  onPassDone(step: () => Promise<void>): void {
    this.afterPass.push(step);
  }

  /** One pass; concurrent callers share it. Returns the tapes sent back to scratch. */
  apply(now = new Date()): Promise<RecycledTape[]> {
    this.running ??= this.pass(now).finally(() => (this.running = null));
    return this.running;
  }

  private async pass(now: Date): Promise<RecycledTape[]> {
    const recycled: RecycledTape[] = [];
    for (const tape of await this.retention.candidates()) {
      const done = await this.retention.recycleIfExpired(tape.id, now);
      if (!done) continue;
      recycled.push(done);
      this.log.info(
        { tape: done.barcode, pool: done.pool, toPool: done.toPool, placementsRemoved: done.placementsRemoved },
        'tape returned to scratch: everything on it has expired; it is formatted before it takes new data',
      );
    }
    for (const step of this.afterPass) await step().catch((err: unknown) => this.log.error({ err }, 'a step after the retention pass failed'));
    return recycled;
  }
}
