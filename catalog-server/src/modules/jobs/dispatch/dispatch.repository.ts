// What the dispatcher reads: the queue, and inside an assignment's transaction the agent (locked),
// its drives, its writable tapes and the jobs that hold them. Reads only: assignment.service.ts
// decides, JobsRepository and TapesRepository write.
import { Injectable } from '@nestjs/common';
import { Prisma, type JobKind } from '@ferrite/db';
import { jobIsActive, jobMayStillWrite, jobNamesTape, jobUsesDrive } from '../../../database/job-holds.sql.js';
import { PrismaService } from '../../../database/prisma.service.js';
import { dbOperation } from '../../../database/database-errors.js';
import type { Tx } from '../../../database/transaction.js';
import type { WritableTape } from './backup-tape-choice.js';
import type { DriveForChoice } from './drive-choice.js';

export interface QueuedJob {
  id: string;
  kind: JobKind;
  agentId: string | null;
  agentName: string | null;
  agentOnline: boolean;
  /** Some replica holds a Commands stream of the agent's current session. */
  streamOpen: boolean;
  queueReason: string | null;
}

@Injectable()
export class DispatchRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Queued jobs, restores first (priority), then oldest first. Backups wait until their runs exist. */
  listQueued(limit: number): Promise<QueuedJob[]> {
    return dbOperation('list queued jobs', async () => {
      const rows = await this.prisma.client.$queryRaw<
        {
          id: string;
          kind: JobKind;
          agent_id: string | null;
          agent_name: string | null;
          online: boolean | null;
          stream_open: boolean;
          queue_reason: string | null;
        }[]
      >`
        SELECT j.id::text, j.kind::text AS kind, j.agent_id::text, a.name AS agent_name, a.online, j.queue_reason,
               EXISTS (SELECT 1 FROM agent_command_stream s WHERE s.agent_id = j.agent_id AND s.session_id = a.session_id) AS stream_open
        FROM job j LEFT JOIN agent a ON a.id = j.agent_id
        WHERE j.status = 'QUEUED' AND NOT (j.kind = 'BACKUP' AND NOT (j.spec ? 'runIds'))
          -- A job waiting for an operator to insert a tape is not dispatched until the request is satisfied.
          AND NOT EXISTS (SELECT 1 FROM operator_request r WHERE r.job_id = j.id AND r.status = 'OPEN')
        ORDER BY j.priority DESC, j.created_at ASC, j.id ASC
        LIMIT ${limit}`;
      return rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        agentId: r.agent_id,
        agentName: r.agent_name,
        agentOnline: r.online ?? false,
        streamOpen: r.stream_open,
        queueReason: r.queue_reason,
      }));
    });
  }

  /** Locks the agent's row for the rest of the transaction (its drives are being handed out); its name. */
  async lockAgent(tx: Tx, agentId: string): Promise<string | null> {
    const [agent] = await tx.$queryRaw<{ name: string }[]>`SELECT name FROM agent WHERE id = ${agentId}::uuid FOR UPDATE`;
    return agent?.name ?? null;
  }

  /** The agent's drives with what they hold and whether an active job uses them. */
  async drivesOf(tx: Tx, agentId: string): Promise<DriveForChoice[]> {
    const drives = await tx.$queryRaw<{ id: string; name: string; state: string; generation: number; loaded_barcode: string | null; busy: boolean }[]>`
      SELECT d.id::text, d.name, d.state::text AS state, d.generation, t.barcode AS loaded_barcode,
             EXISTS (SELECT 1 FROM job j WHERE ${jobIsActive('j')} AND ${jobUsesDrive('j', Prisma.raw('d.id'))}) AS busy
      FROM drive d LEFT JOIN tape t ON t.id = d.loaded_tape_id
      WHERE d.agent_id = ${agentId}::uuid
      ORDER BY d.name`;
    return drives.map((d) => ({ id: d.id, name: d.name, state: d.state, generation: d.generation, loadedBarcode: d.loaded_barcode, busy: d.busy }));
  }

  /** Another active job of the agent whose spec names the tape, if any. */
  async activeJobOnTape(tx: Tx, agentId: string, barcode: string): Promise<string | null> {
    const holders = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM job
      WHERE agent_id = ${agentId}::uuid AND ${jobIsActive('')} AND ${jobNamesTape('', Prisma.sql`${barcode}`)}
      LIMIT 1`;
    return holders[0]?.id ?? null;
  }

  async poolPolicy(tx: Tx, name: string): Promise<PoolPolicyRow | null> {
    const [row] = await tx.$queryRaw<PoolPolicyRow[]>`
      SELECT id::text, name, scratch_pool_id::text AS "scratchPoolId", copies, generation FROM pool WHERE name = ${name}`;
    return row ?? null;
  }

  /** The library (changer) a drive sits in; null for a standalone drive. */
  /** Where a drive is: its name, its library (id and name, none for a standalone drive) and its host. */
  async placeOfDrive(tx: Tx, driveId: string): Promise<DrivePlace | null> {
    const [row] = await tx.$queryRaw<{ drive: string; changer_id: string | null; changer: string | null; hostname: string; loaded: string | null }[]>`
      SELECT d.name AS drive, d.changer_id::text, c.name AS changer, a.hostname, t.barcode AS loaded
      FROM drive d JOIN agent a ON a.id = d.agent_id LEFT JOIN changer c ON c.id = d.changer_id LEFT JOIN tape t ON t.id = d.loaded_tape_id
      WHERE d.id = ${driveId}::uuid`;
    return row ? { driveName: row.drive, changerId: row.changer_id, changerName: row.changer, hostname: row.hostname, loadedBarcode: row.loaded } : null;
  }

  /**
   * The agent's formatted, writable tapes (in library `changerId` only, when given), each with the
   * unfinished job (other than `jobId`) that may still write it.
   */
  async writableTapes(tx: Tx, agentId: string, jobId: string, changerId?: string): Promise<WritableTape[]> {
    const rows = await tx.$queryRaw<{ barcode: string; state: string; capacity: bigint; used: bigint; pool_id: string | null; held_by: string | null }[]>`
      SELECT t.barcode, t.state::text AS state, t.capacity_bytes AS capacity, t.used_bytes AS used, t.pool_id::text,
             (SELECT j.id::text FROM job j
               WHERE j.id <> ${jobId}::uuid AND ${jobMayStillWrite('j')} AND ${jobNamesTape('j', Prisma.raw('t.barcode'))}
               LIMIT 1) AS held_by
      FROM tape t
      WHERE t.agent_id = ${agentId}::uuid AND t.formatted_at IS NOT NULL AND NOT t.write_protected
        AND NOT t.cleaning AND t.state IN ('SCRATCH', 'ACTIVE') AND NOT t.reformat_pending
        AND (${changerId ?? null}::uuid IS NULL OR t.changer_id = ${changerId ?? null}::uuid)
      ORDER BY t.barcode`;
    return rows.map((r) => ({
      barcode: r.barcode,
      state: r.state,
      capacityBytes: Number(r.capacity),
      usedBytes: Number(r.used),
      poolId: r.pool_id,
      heldBy: r.held_by,
    }));
  }

  driveName(driveId: string): Promise<string | null> {
    return dbOperation('find drive', async () => (await this.prisma.client.drive.findUnique({ where: { id: driveId }, select: { name: true } }))?.name ?? null);
  }
}

export interface DrivePlace {
  driveName: string;
  changerId: string | null;
  changerName: string | null;
  hostname: string;
  /** The tape the drive holds, as last reported. */
  loadedBarcode?: string | null;
}

export interface PoolPolicyRow {
  id: string;
  name: string;
  scratchPoolId: string | null;
  copies: number;
  generation: number | null;
}
