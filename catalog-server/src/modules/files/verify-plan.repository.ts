// The placements a verify job re-reads: every object on one tape (counted when the job is created,
// read page by page while it runs), or every placement of the contents a run recorded (on any tape
// that is not RETIRED: a retired tape is not expected back). Whole contents and segments with a
// hash of their own are read; segments written before segment hashes existed are only counted.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';
import { translateDatabaseError } from '../../database/database-errors.js';
import type { VerifyPlacementRow } from './verify-plan.js';

/** A placement that holds a whole content: checked against the content's SHA-256. */
const WHOLE = 'p.segment = 0 AND p.file_offset = 0 AND p.length = c.size';
/** A placement with a hash to compare with: a whole content, or a segment with its own SHA-256
 *  (as verify-plan.ts expectedHash decides). */
const CHECKABLE = `(${WHOLE} OR p.segment_sha256 IS NOT NULL)`;

const COLUMNS = `p.content_id::text AS "contentId", c.sha256, c.size::float8 AS "contentSize", t.barcode, p.partition,
  p.start_block::float8 AS "startBlock", p.container_path AS "containerPath", p."offset"::float8 AS "offset",
  p.length::float8 AS length, p.segment, p.file_offset::float8 AS "fileOffset", p.copy, p.segment_sha256 AS "segmentSha256"`;

@Injectable()
export class VerifyPlanRepository {
  constructor(private readonly db: PrismaService) {}

  /** How many objects (and bytes) a verify of the tape reads, and how many segments without a hash it leaves out. */
  async countOnTape(tapeId: string): Promise<{ objects: number; bytes: number; partial: number }> {
    try {
      const { rows } = await this.db.pool.query<{ objects: number; bytes: number; partial: number }>(
        `SELECT count(*) FILTER (WHERE ${CHECKABLE})::float8 AS objects, COALESCE(sum(p.length) FILTER (WHERE ${CHECKABLE}), 0)::float8 AS bytes,
                count(*) FILTER (WHERE NOT ${CHECKABLE})::float8 AS partial
           FROM placement p JOIN content c ON c.id = p.content_id WHERE p.tape_id = $1::uuid`,
        [tapeId],
      );
      return rows[0];
    } catch (err) {
      throw translateDatabaseError(err, 'counting the placements of a tape');
    }
  }

  /**
   * The next `limit` objects of a tape that have a hash to compare with (whole contents, hashed
   * segments) after position `after` (exclusive), in tape order: one index range scan per page
   * (placement's (tape, partition, start block, offset) index).
   */
  async pageOnTape(tapeId: string, after: { partition: string; startBlock: number; offset: number } | null, limit: number): Promise<VerifyPlacementRow[]> {
    const from = after ?? { partition: '', startBlock: -1, offset: -1 };
    return this.select(
      'reading the placements of a tape',
      `WHERE p.tape_id = $1::uuid AND (p.partition, p.start_block, p."offset") > ($2::char(1), $3::bigint, $4::bigint) AND ${CHECKABLE}`,
      [tapeId, from.partition, from.startBlock, from.offset],
      `ORDER BY p.partition, p.start_block, p."offset" LIMIT ${Math.trunc(limit)}`,
    );
  }

  async ofContents(contentIds: string[]): Promise<VerifyPlacementRow[]> {
    if (contentIds.length === 0) return [];
    return this.select('reading the placements of a run', `WHERE p.content_id = ANY($1::bigint[]) AND t.state <> 'RETIRED'`, [contentIds]);
  }

  private async select(
    what: string,
    where: string,
    params: unknown[],
    order = 'ORDER BY t.barcode, p.partition, p.start_block, p."offset"',
  ): Promise<VerifyPlacementRow[]> {
    try {
      const { rows } = await this.db.pool.query<VerifyPlacementRow>(
        `SELECT ${COLUMNS} FROM placement p JOIN content c ON c.id = p.content_id JOIN tape t ON t.id = p.tape_id ${where} ${order}`,
        params,
      );
      return rows;
    } catch (err) {
      throw translateDatabaseError(err, what);
    }
  }
}
