// "What would be lost if tape X died": the contents whose only usable copy of some segment is on
// that tape (no placement of the same segment on another tape that is not SUSPECT or RETIRED), and
// the file versions that use them.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';
import { translateDatabaseError } from '../../database/database-errors.js';
import { toVersion, VERSION_COLUMNS, VERSION_FROM, type FileVersionRow, type RawVersion } from './file-search.repository.js';

const LOST = `lost AS (
  SELECT DISTINCT p.content_id FROM placement p
   WHERE p.tape_id = $1::uuid
     AND NOT EXISTS (SELECT 1 FROM placement q JOIN tape t ON t.id = q.tape_id
                      WHERE q.content_id = p.content_id AND q.segment = p.segment AND q.tape_id <> p.tape_id
                        AND t.state NOT IN ('SUSPECT', 'RETIRED')))`;

export interface TapeLossTotals {
  contents: number;
  bytes: number;
  fileVersions: number;
}

@Injectable()
export class TapeLossRepository {
  constructor(private readonly db: PrismaService) {}

  async totals(tapeId: string): Promise<TapeLossTotals> {
    try {
      const { rows } = await this.db.pool.query<TapeLossTotals>(
        `WITH ${LOST}
         SELECT (SELECT count(*)::int FROM lost) AS contents,
                (SELECT COALESCE(sum(c.size), 0)::float8 FROM lost JOIN content c ON c.id = lost.content_id) AS bytes,
                (SELECT count(*)::int FROM file_version fv
                  WHERE fv.block_content_ids && ARRAY(SELECT content_id FROM lost) AND fv.content_id IN (SELECT content_id FROM lost) AND NOT fv.deleted) AS "fileVersions"`,
        [tapeId],
      );
      return rows[0];
    } catch (err) {
      throw translateDatabaseError(err, 'working out what a tape holds alone');
    }
  }

  /** The first `limit` file versions (by id) whose content would be lost. */
  async versions(tapeId: string, limit: number): Promise<FileVersionRow[]> {
    try {
      const { rows } = await this.db.pool.query<RawVersion>(
        `WITH ${LOST} SELECT ${VERSION_COLUMNS} ${VERSION_FROM}
          WHERE fv.content_id IN (SELECT content_id FROM lost) AND NOT fv.deleted ORDER BY fv.id LIMIT $2`,
        [tapeId, limit],
      );
      return rows.map(toVersion);
    } catch (err) {
      throw translateDatabaseError(err, 'listing what a tape holds alone');
    }
  }
}
