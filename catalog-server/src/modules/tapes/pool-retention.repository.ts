// The SQL of retention: which written tapes hold nothing that is still retained, and recycling one.
// A run is retained while its job is still under way or resumable, while it is younger than the
// pool's retentionDays, or while it is among the newest retentionRuns finished runs of its
// (host, root) (per source, so one busy host cannot push another host's backups out). A tape may return to scratch only when no
// retained run has a file whose content is on this tape and on no other tape still in use (dedup
// means a new run can point at content an old tape holds), and no unfinished job names the tape.
import { Injectable } from '@nestjs/common';
import { Prisma } from '@ferrite/db';
import { jobIsUnfinished, jobNamesTape } from '../../database/job-holds.sql.js';
import { PrismaService } from '../../database/prisma.service.js';
import { FilesRepository } from '../files/files.repository.js';
import { TapesRepository } from './tapes.repository.js';
import { dbOperation } from '../../database/database-errors.js';

export interface RecycledTape {
  barcode: string;
  pool: string;
  placementsRemoved: number;
  toPool: string | null;
}

@Injectable()
export class PoolRetentionRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly tapes: TapesRepository,
    private readonly placements: FilesRepository,
  ) {}

  /** Written tapes of pools that have a retention limit: the candidates to check one by one. */
  candidates(): Promise<{ id: string; barcode: string }[]> {
    return dbOperation(
      'list retention candidates',
      () =>
        this.prisma.client.$queryRaw<{ id: string; barcode: string }[]>`
        SELECT t.id::text, t.barcode FROM tape t JOIN pool p ON p.id = t.pool_id
        WHERE t.state IN ('ACTIVE', 'FULL') AND NOT t.worm AND (p.retention_days IS NOT NULL OR p.retention_runs IS NOT NULL)
        ORDER BY t.barcode`,
    );
  }

  /**
   * Returns the tape to scratch if, re-checked under its row lock, nothing on it is retained.
   * Its placements go (the catalog never claims data on a tape that may be overwritten) and it moves
   * to the pool's scratch pool when one is set. Null when the tape must stay.
   */
  recycleIfExpired(tapeId: string, now: Date): Promise<RecycledTape | null> {
    return dbOperation('recycle tape', () =>
      this.prisma.client.$transaction(async (tx) => {
        const [tape] = await tx.$queryRaw<
          { barcode: string; pool: string; days: number | null; runs: number | null; scratch_pool_id: string | null; scratch_pool: string | null }[]
        >`
          SELECT t.barcode, p.name AS pool, p.retention_days AS days, p.retention_runs AS runs, p.scratch_pool_id::text, sp.name AS scratch_pool
          FROM tape t JOIN pool p ON p.id = t.pool_id LEFT JOIN pool sp ON sp.id = p.scratch_pool_id
          WHERE t.id = ${tapeId}::uuid AND t.state IN ('ACTIVE', 'FULL') AND NOT t.worm AND (p.retention_days IS NOT NULL OR p.retention_runs IS NOT NULL)
          FOR UPDATE OF t SKIP LOCKED`;
        if (!tape) return null;
        const [busy] = await tx.$queryRaw<{ id: string }[]>`
          SELECT id::text FROM job
          WHERE ${jobIsUnfinished('')} AND ${jobNamesTape('', Prisma.sql`${tape.barcode}`)}
          LIMIT 1`;
        if (busy) return null;
        const [retained] = await tx.$queryRaw<{ run_id: string }[]>`
          WITH ranked AS (
            SELECT r.id, row_number() OVER (PARTITION BY r.host_id, r.root ORDER BY r.finished_at DESC) AS newest
            FROM run r WHERE r.finished_at IS NOT NULL
          ),
          retained AS (
            -- a run of a job still under way (or resumable)
            SELECT r.id FROM run r JOIN job j ON j.id = r.job_id
            WHERE r.finished_at IS NULL AND j.status IN ('QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE', 'INTERRUPTED')
            UNION
            -- younger than retentionDays
            SELECT r.id FROM run r
            WHERE ${tape.days}::int IS NOT NULL AND COALESCE(r.finished_at, r.started_at) >= ${now}::timestamptz - make_interval(days => ${tape.days}::int)
            UNION
            -- among the newest retentionRuns finished runs of its source
            SELECT id FROM ranked WHERE ${tape.runs}::int IS NOT NULL AND newest <= ${tape.runs}::int
          ),
          here AS (SELECT DISTINCT content_id FROM placement WHERE tape_id = ${tapeId}::uuid)
          SELECT rr.id::text AS run_id FROM here
          JOIN file_version fv ON fv.content_id = here.content_id
            -- the blocks holding any of them (GIN), before their versions are unnested
            AND fv.block_content_ids && ARRAY(SELECT content_id FROM here)
          JOIN run rr ON rr.num = fv.run_num
          JOIN retained ON retained.id = rr.id
          WHERE NOT EXISTS (
            SELECT 1 FROM placement o JOIN tape ot ON ot.id = o.tape_id
            WHERE o.content_id = here.content_id AND o.tape_id <> ${tapeId}::uuid AND ot.state NOT IN ('SCRATCH', 'RETIRED')
          )
          LIMIT 1`;
        if (retained) return null;
        const removed = await this.placements.deleteOnTape(tx, tapeId);
        await this.tapes.returnToScratch(tx, tapeId, tape.scratch_pool_id);
        return { barcode: tape.barcode, pool: tape.pool, placementsRemoved: removed, toPool: tape.scratch_pool ?? tape.pool };
      }),
    );
  }
}
