// The placements a verify job re-reads: every object on one tape, or every placement of the
// contents a run recorded (on any tape that is not RETIRED: a retired tape is not expected back).
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';
import { toFerriteError } from './db-errors.js';
import type { VerifyPlacementRow } from './verify-plan.js';

const COLUMNS = `p.content_id::text AS "contentId", c.sha256, c.size::float8 AS "contentSize", t.barcode, p.partition,
  p.start_block::float8 AS "startBlock", p.container_path AS "containerPath", p."offset"::float8 AS "offset",
  p.length::float8 AS length, p.segment, p.file_offset::float8 AS "fileOffset", p.copy`;

@Injectable()
export class VerifyPlanRepository {
  constructor(private readonly db: PrismaService) {}

  async onTape(tapeId: string): Promise<VerifyPlacementRow[]> {
    return this.select('reading the placements of a tape', `WHERE p.tape_id = $1::uuid`, [tapeId]);
  }

  async ofContents(contentIds: string[]): Promise<VerifyPlacementRow[]> {
    if (contentIds.length === 0) return [];
    return this.select('reading the placements of a run', `WHERE p.content_id = ANY($1::bigint[]) AND t.state <> 'RETIRED'`, [contentIds]);
  }

  private async select(what: string, where: string, params: unknown[]): Promise<VerifyPlacementRow[]> {
    try {
      const { rows } = await this.db.pool.query<VerifyPlacementRow>(
        `SELECT ${COLUMNS} FROM placement p JOIN content c ON c.id = p.content_id JOIN tape t ON t.id = p.tape_id ${where}
          ORDER BY t.barcode, p.partition, p.start_block, p."offset"`,
        params,
      );
      return rows;
    } catch (err) {
      throw toFerriteError(err, what);
    }
  }
}
