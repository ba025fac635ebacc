// How readable each tape is for a restore on a given agent, so a file with several copies is read
// from one that agent can read now: 0 in its library and usable, 1 on a shelf or offsite (an
// operator is asked to insert it there), 2 RETIRED or SUSPECT (read only if no other copy exists),
// 3 in another agent's library (locked there until someone exports it: the restore would be refused).
// Also who holds tapes and who wrote jobs, for choosing the agent of a restore nobody named.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';
import { translateDatabaseError } from '../../database/database-errors.js';

/** A tape as a restoring agent sees it. */
export interface TapeReach {
  rank: number;
  /** In the restoring agent's library now: the agent can load it by itself (a copy to fall back on). */
  here: boolean;
}

@Injectable()
export class TapeAvailabilityRepository {
  constructor(private readonly db: PrismaService) {}

  /** Each tape's rank for a restore on `agentId` (null: no agent known yet, every library counts as its own). */
  async reach(barcodes: string[], agentId: string | null): Promise<Map<string, TapeReach>> {
    if (barcodes.length === 0) return new Map();
    try {
      const { rows } = await this.db.pool.query<{ barcode: string; rank: number; here: boolean }>(
        `SELECT barcode,
                CASE WHEN state IN ('SUSPECT', 'RETIRED') THEN 2
                     WHEN agent_id IS NULL OR state = 'OFFSITE' THEN 1
                     WHEN $2::uuid IS NULL OR agent_id = $2::uuid THEN 0 ELSE 3 END AS rank,
                (agent_id IS NOT NULL AND agent_id = $2::uuid AND state <> 'OFFSITE') AS here
           FROM tape WHERE barcode = ANY($1::text[])`,
        [barcodes, agentId],
      );
      return new Map(rows.map((r) => [r.barcode, { rank: r.rank, here: r.here }]));
    } catch (err) {
      throw translateDatabaseError(err, 'reading which tapes can be read');
    }
  }

  /** The agent whose library holds each tape (tapes on a shelf or offsite are left out). */
  async holders(barcodes: string[]): Promise<Map<string, string>> {
    if (barcodes.length === 0) return new Map();
    try {
      const { rows } = await this.db.pool.query<{ barcode: string; agentId: string }>(
        `SELECT barcode, agent_id::text AS "agentId" FROM tape
          WHERE barcode = ANY($1::text[]) AND agent_id IS NOT NULL AND state <> 'OFFSITE'`,
        [barcodes],
      );
      return new Map(rows.map((r) => [r.barcode, r.agentId]));
    } catch (err) {
      throw translateDatabaseError(err, 'reading which libraries hold tapes');
    }
  }

  /** The agent that ran each job (jobs of a removed agent are left out). */
  async jobAgents(jobIds: string[]): Promise<Map<string, string>> {
    if (jobIds.length === 0) return new Map();
    try {
      const { rows } = await this.db.pool.query<{ id: string; agentId: string }>(
        `SELECT id::text AS id, agent_id::text AS "agentId" FROM job WHERE id = ANY($1::uuid[]) AND agent_id IS NOT NULL`,
        [jobIds],
      );
      return new Map(rows.map((r) => [r.id, r.agentId]));
    } catch (err) {
      throw translateDatabaseError(err, 'reading which agents ran jobs');
    }
  }
}
