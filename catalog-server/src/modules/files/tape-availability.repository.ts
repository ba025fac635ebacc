// How readable each tape is for a restore, so a file with several copies is read from one that can be
// read now: 0 in a library and usable, 1 on a shelf or offsite (an operator is asked to insert it),
// 2 RETIRED or SUSPECT (read only if no other copy exists).
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';
import { translateDatabaseError } from '../../database/database-errors.js';

@Injectable()
export class TapeAvailabilityRepository {
  constructor(private readonly db: PrismaService) {}

  async ranks(barcodes: string[]): Promise<Map<string, number>> {
    if (barcodes.length === 0) return new Map();
    try {
      const { rows } = await this.db.pool.query<{ barcode: string; rank: number }>(
        `SELECT barcode, CASE WHEN state IN ('SUSPECT', 'RETIRED') THEN 2
                              WHEN agent_id IS NULL OR state = 'OFFSITE' THEN 1 ELSE 0 END AS rank
           FROM tape WHERE barcode = ANY($1::text[])`,
        [barcodes],
      );
      return new Map(rows.map((r) => [r.barcode, r.rank]));
    } catch (err) {
      throw translateDatabaseError(err, 'reading which tapes can be read');
    }
  }
}
