// The catalog purge: expired file versions leave the catalog once no tape holds them, with the
// contents and runs nothing refers to afterwards. It runs after every retention pass (onPassDone),
// on its own to finish what a pass's time budget left, and when an operator asks (purgeCatalog).
// Every step is a short transaction of at most `batchSize` rows (catalog-purge.repository.ts), so
// search and ingest go on meanwhile; running it again when nothing is left changes nothing.
//
// The rules (README, "Recycling reuses tapes"):
// - A tape holds a content while the catalog has a placement of it there. Recycling and formatting
//   a tape remove its placements (placements on RETIRED, SUSPECT or offsite tapes stay: they hold).
// - A run has expired once its backup job is over (not under way, not resumable) and every tape
//   the job wrote has been recycled since the job ended: retention recycles a tape only once every
//   run on it expired under its pool's policy. Runs of a job that is still on some live tape, or
//   that named no tape, never expire here.
// - In an expired run, a version with data (a non-empty file) leaves as soon as its content has
//   no placement left on any tape. A version whose content another tape still holds (a second
//   copy, or the same bytes written again by a live run) stays, and so does its run. Only in a
//   FULL run, or an INCREMENTAL run whose base has left the catalog, though: in an incremental whose
//   base chain is still there, taking a version out would let an older version of the same path
//   show through in point-in-time views and restores, so such versions leave with their run.
// - An expired run leaves whole (directories, symlinks, empty files, deletion markers and its run
//   row) once none of its versions has data a tape holds and no run left in the catalog has it as
//   its base (an incremental chain leaves from its newest run down to its FULL).
// - A content leaves once no placement and no version refers to it. Directory and file name rows
//   stay: they are shared, small, and ingest relies on them never going away.
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { LOGGER, type Logger } from '../../common/logger.js';
import { CatalogPurgeRepository, type ExpiredRun } from '../files/catalog-purge.repository.js';
import { PoolRetentionService } from './pool-retention.service.js';

export interface CatalogPurgeOptions {
  /** Most rows (version blocks, contents) one transaction deletes or rewrites. */
  batchSize?: number;
  /** Stop starting new batches after this long; the rest is done by a follow-up purge. */
  timeBudgetMs?: number;
}

export interface CatalogPurgeResult {
  versions: number;
  contents: number;
  runs: number;
  blocksRewritten: number;
  blocksDeleted: number;
  batches: number;
  /** False when the time budget ran out or contents wait for ingest to pause: a follow-up purge is scheduled. */
  complete: boolean;
}

const DEFAULT_BATCH_SIZE = 100;
const DEFAULT_TIME_BUDGET_MS = 60_000;
/** A purge left incomplete is taken up again after this long. */
const FOLLOW_UP_MS = 60_000;
/** Tries for the content lock (ingest in flight) before leaving the contents to the follow-up. */
const CONTENT_LOCK_TRIES = 20;
const CONTENT_LOCK_WAIT_MS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
export class CatalogPurgeService implements OnModuleInit, OnModuleDestroy {
  private readonly log: Logger;
  private running: Promise<CatalogPurgeResult> | null = null;
  private followUp: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly purgeRepo: CatalogPurgeRepository,
    private readonly retention: PoolRetentionService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'catalog-purge' });
  }

  onModuleInit(): void {
    this.retention.onPassDone(() => this.purge().then(() => undefined));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.followUp) clearTimeout(this.followUp);
    await this.running?.catch(() => {});
  }

  /** One purge; concurrent callers share it. */
  purge(options: CatalogPurgeOptions = {}): Promise<CatalogPurgeResult> {
    this.running ??= this.run(options).finally(() => (this.running = null));
    return this.running;
  }

  private async run(options: CatalogPurgeOptions): Promise<CatalogPurgeResult> {
    if (this.followUp) clearTimeout(this.followUp);
    this.followUp = null;
    const limit = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    const deadline = Date.now() + (options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS);
    const total: CatalogPurgeResult = { versions: 0, contents: 0, runs: 0, blocksRewritten: 0, blocksDeleted: 0, batches: 0, complete: true };
    const inTime = () => Date.now() < deadline && !this.stopped;

    // Rounds until nothing changes: a run leaving can free its base (next round) to leave or to
    // lose its versions one by one. Runs whose versions were already looked at one by one in this
    // purge are not walked again (nothing under them changed).
    const walked = new Set<number>();
    for (let changed = true; changed && inTime();) {
      changed = false;
      for (const run of await this.purgeRepo.expiredRuns()) {
        if (!inTime()) break;
        if (await this.purgeRun(run, limit, walked, total, inTime)) changed = true;
      }
    }
    total.complete = inTime() && (await this.purgeContents(limit, total, inTime));
    if (!total.complete && !this.stopped) this.scheduleFollowUp(options);
    if (total.versions || total.contents || total.runs || !total.complete) {
      this.log.info({ ...total }, 'catalog purge: expired file versions no tape holds have left the catalog');
    }
    return total;
  }

  /** Applies the rules to one expired run; true when the run left the catalog. */
  private async purgeRun(run: ExpiredRun, limit: number, walked: Set<number>, total: CatalogPurgeResult, inTime: () => boolean): Promise<boolean> {
    if (!run.hasDependents && !(await this.purgeRepo.runHoldsData(run.num))) {
      for (;;) {
        if (!inTime()) return false;
        const b = await this.purgeRepo.deleteRunBatch(run.id, run.num, limit);
        this.count(total, b);
        if (b.blocks > 0 || b.runDeleted)
          this.log.info({ step: 'run', run: run.id, versions: b.versions, blocksDeleted: b.blocksDeleted, runDeleted: b.runDeleted }, 'catalog purge batch');
        if (b.runDeleted) {
          total.runs++;
          return true;
        }
        if (b.blocks === 0) return false; // a dependent appeared, or its blocks are locked: next purge
      }
    }
    if (walked.has(run.num) || !(run.level === 'FULL' || run.baseGone)) return false;
    let after: string | null = null;
    for (;;) {
      if (!inTime()) return false;
      const b = await this.purgeRepo.clearUnheldVersions(run.num, after, limit);
      if (b.blocks === 0) break;
      this.count(total, b);
      if (b.versions > 0) {
        this.log.info(
          { step: 'versions', run: run.id, versions: b.versions, blocksRewritten: b.blocksRewritten, blocksDeleted: b.blocksDeleted },
          'catalog purge batch',
        );
      }
      after = b.lastBlockId;
    }
    walked.add(run.num);
    return false;
  }

  /** Empties the content queue; false when ingest kept the content lock busy (left for the follow-up). */
  private async purgeContents(limit: number, total: CatalogPurgeResult, inTime: () => boolean): Promise<boolean> {
    let tries = 0;
    while (inTime()) {
      const b = await this.purgeRepo.purgeContents(limit);
      if (b.locked) {
        if (++tries >= CONTENT_LOCK_TRIES) return false;
        await sleep(CONTENT_LOCK_WAIT_MS);
        continue;
      }
      tries = 0;
      if (b.dequeued === 0) return true;
      total.batches++;
      total.contents += b.contents;
      this.log.info({ step: 'contents', contents: b.contents, checked: b.dequeued }, 'catalog purge batch');
    }
    return false;
  }

  private count(total: CatalogPurgeResult, b: { versions: number; blocksRewritten: number; blocksDeleted: number }): void {
    total.batches++;
    total.versions += b.versions;
    total.blocksRewritten += b.blocksRewritten;
    total.blocksDeleted += b.blocksDeleted;
  }

  private scheduleFollowUp(options: CatalogPurgeOptions): void {
    this.followUp = setTimeout(() => void this.purge(options).catch((err: unknown) => this.log.error({ err }, 'catalog purge failed')), FOLLOW_UP_MS);
    this.followUp.unref();
  }
}
