// Reads the tape operations need beyond the tapes and agents services (what keeps a drive busy,
// which tape calls a slot home), and the two catalog-only state changes: retire and offsite.
import { Injectable } from '@nestjs/common';
import { Prisma } from '@ferrite/db';
import { jobIsActive, jobUsesDrive } from '../../database/job-holds.sql.js';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation } from '../../database/database-errors.js';

@Injectable()
export class TapeOperationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A job that holds the drive now (ASSIGNED/RUNNING on it) or is queued for it by name. */
  activeJobOnDrive(driveId: string, agentId: string, driveName: string): Promise<string | null> {
    return dbOperation('find jobs on drive', async () => {
      const rows = await this.prisma.client.$queryRaw<{ id: string }[]>`
        SELECT id::text FROM job
        WHERE (${jobUsesDrive('', Prisma.sql`${driveId}`)} AND ${jobIsActive('')})
           OR (agent_id = ${agentId}::uuid AND status = 'QUEUED' AND spec->>'driveName' = ${driveName})
        ORDER BY created_at LIMIT 1`;
      return rows[0]?.id ?? null;
    });
  }

  /** The tape whose home is this slot (sitting in it, or out in a drive), if any. */
  tapeHomedAt(changerId: string, slot: number): Promise<{ barcode: string; inDrive: boolean } | null> {
    return dbOperation('find tape in slot', async () => {
      const row = await this.prisma.client.tape.findFirst({ where: { changerId, slot }, select: { barcode: true, loadedIn: { select: { id: true } } } });
      return row ? { barcode: row.barcode, inDrive: row.loadedIn !== null } : null;
    });
  }

  /** Cleaning cartridges sitting in the changer's slots. */
  cleaningCartridgesIn(changerId: string): Promise<string[]> {
    return dbOperation('find cleaning cartridges', async () => {
      const rows = await this.prisma.client.tape.findMany({
        where: { changerId, cleaning: true, slot: { not: null }, loadedIn: null },
        select: { barcode: true },
        orderBy: { barcode: 'asc' },
      });
      return rows.map((r) => r.barcode);
    });
  }
}
