// Restore plans in the database: a restore's entries are written here page by page when the job is
// created, and its agent reads them back tape by tape in tape order (RestoreItems), so a restore
// of millions of entries keeps no list in its job row and no process holds the whole plan. Each
// entry is a RestoreItem in protobuf, keyed by (tape, partition, start block, offset); entries that
// need no tape have barcode '' and their path depth as start block, so parents come first.
// A plan no unfinished job names is swept once it is an hour old (a job that ended, or a start
// that failed after the plan was written).
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { RestoreItem } from '@ferrite/proto';
import { LOGGER, type Logger } from '../../common/logger.js';
import { PrismaService } from '../../database/prisma.service.js';
import { queryRows } from './sql-runner.js';

/** One entry to store: where it is read (barcode '' for none) and the item itself. */
export interface PlanEntry {
  barcode: string;
  partition: string;
  startBlock: number;
  offset: number;
  item: RestoreItem;
}

const SWEEP_INTERVAL_MS = 10 * 60_000;
const ORPHAN_AFTER_MS = 60 * 60_000;

/** Where a page ended. Named apart from the columns: an ORDER BY name resolves to an output
 *  column first, and ordering by a text alias ("offset" as text) would order '1024' before '512'. */
interface PageKey {
  part: string;
  block: string;
  at: string;
  seq: string;
}

@Injectable()
export class RestorePlanStore implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: PrismaService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'restore-plans' });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep().catch((err: unknown) => this.log.error({ err }, 'sweeping restore plans failed')), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** A new, empty plan; its id. */
  async create(): Promise<string> {
    const [row] = await queryRows<{ id: string }>(
      this.db.pool,
      'creating a restore plan',
      'INSERT INTO job_plan (id) VALUES (gen_random_uuid()) RETURNING id::text',
      [],
    );
    return row.id;
  }

  /** Appends entries to the plan, in one statement. */
  async add(planId: string, entries: PlanEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await queryRows(
      this.db.pool,
      'writing a restore plan',
      `INSERT INTO job_plan_item (plan_id, barcode, partition, start_block, "offset", item)
       SELECT $1::uuid, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bytea[])`,
      [
        planId,
        entries.map((e) => e.barcode),
        entries.map((e) => e.partition),
        entries.map((e) => e.startBlock),
        entries.map((e) => e.offset),
        entries.map((e) => Buffer.from(RestoreItem.encode(e.item).finish())),
      ],
    );
  }

  /** The plan's entries on one tape ('' for those that need none), in tape order, `pageSize` at a time. */
  async *pages(planId: string, barcode: string, pageSize = 2000): AsyncGenerator<RestoreItem[]> {
    let after: PageKey = { part: '', block: '-1', at: '-1', seq: '0' };
    for (;;) {
      const rows = await queryRows<PageKey & { item: Buffer }>(
        this.db.pool,
        'reading a restore plan',
        `SELECT partition AS part, start_block::text AS block, "offset"::text AS at, id::text AS seq, item FROM job_plan_item
          WHERE plan_id = $1::uuid AND barcode = $2 AND (partition, start_block, "offset", id) > ($3, $4::bigint, $5::bigint, $6::bigint)
          ORDER BY partition, start_block, "offset", id LIMIT $7`,
        [planId, barcode, after.part, after.block, after.at, after.seq, pageSize],
      );
      if (rows.length) yield rows.map((r) => RestoreItem.decode(r.item));
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1];
    }
  }

  async remove(planId: string): Promise<void> {
    await queryRows(this.db.pool, 'deleting a restore plan', 'DELETE FROM job_plan WHERE id = $1::uuid', [planId]);
  }

  /** Deletes plans older than `ORPHAN_AFTER_MS` that no unfinished job names. Returns how many. */
  async sweep(now = new Date()): Promise<number> {
    const rows = await queryRows<{ id: string }>(
      this.db.pool,
      'sweeping restore plans',
      `DELETE FROM job_plan p
        WHERE p.created_at < $1
          AND NOT EXISTS (SELECT 1 FROM job j WHERE j.spec->>'planId' = p.id::text AND j.status IN ('QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE'))
        RETURNING p.id::text AS id`,
      [new Date(now.getTime() - ORPHAN_AFTER_MS)],
    );
    if (rows.length) this.log.info({ plans: rows.length }, 'restore plans of ended jobs removed');
    return rows.length;
  }
}
