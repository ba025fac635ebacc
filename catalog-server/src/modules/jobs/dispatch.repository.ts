// Reads and writes for the dispatcher. A job is assigned once: its row is taken with
// FOR UPDATE SKIP LOCKED (a second dispatcher skips it) and re-checked to still be QUEUED, and the
// agent's row is locked while its drives are chosen, so two jobs never get the same drive.
import { Injectable } from '@nestjs/common';
import { Prisma, type JobKind } from '@ferrite/db';
import { jobIsActive, jobMayStillWrite, jobNamesTape, jobUsesDrive } from '../../database/job-holds.sql.js';
import { PrismaService } from '../../database/prisma.service.js';
import { TapesRepository } from '../tapes/tapes.repository.js';
import { dbOperation } from '../../database/database-errors.js';
import { chooseBackupTapes, type WritableTape } from './backup-tape-choice.js';
import { chooseCopyDrives, type DriveChoice, type DriveForChoice } from './drive-choice.js';
import { appendServerEvent, lockJob, RELEASE_CHOSEN_TAPE, type Tx } from './job-event-log.js';
import { firstTapeOfJob, parseJobSpec, tapeToChooseAtDispatch, type BackupCopyTape, type BackupJobSpec } from './job-spec.js';
import { jobInclude, type JobRow } from './jobs.repository.js';

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

export interface AssignmentContext {
  job: JobRow;
  /** The tape the job needs first, if any. */
  barcode: string | null;
  agentName: string;
  drives: DriveForChoice[];
  /** Another active job of the agent on the same tape, if any. */
  tapeHeldBy: string | null;
}

export type AssignOutcome =
  { outcome: 'skipped' } | { outcome: 'waiting'; reason: string; changed: boolean } | { outcome: 'assigned'; job: JobRow; driveName: string };

@Injectable()
export class DispatchRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly tapes: TapesRepository,
  ) {}

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

  /** Records why a job waits; true when the reason changed. */
  setQueueReason(jobId: string, reason: string): Promise<boolean> {
    return dbOperation('set queue reason', async () => {
      const n = await this.prisma.client.$executeRaw`
        UPDATE job SET queue_reason = ${reason}, updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'QUEUED' AND queue_reason IS DISTINCT FROM ${reason}`;
      return n > 0;
    });
  }

  /**
   * Tries to assign one queued job. `choose` picks the drive from the locked state (pure logic);
   * the job then becomes ASSIGNED with its drive and lease.
   */
  tryAssign(jobId: string, lease: { owner: string; expiresAt: Date }, choose: (ctx: AssignmentContext) => DriveChoice): Promise<AssignOutcome> {
    return dbOperation('assign job', () =>
      this.prisma.client.$transaction(async (tx): Promise<AssignOutcome> => {
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id::text FROM job WHERE id = ${jobId}::uuid AND status = 'QUEUED' FOR UPDATE SKIP LOCKED`;
        if (locked.length === 0) return { outcome: 'skipped' };
        const job = (await tx.job.findUnique({ where: { id: jobId }, include: jobInclude }))!;
        if (!job.agentId) return { outcome: 'skipped' };
        const [agent] = await tx.$queryRaw<{ name: string }[]>`SELECT name FROM agent WHERE id = ${job.agentId}::uuid FOR UPDATE`;
        if (!agent) return { outcome: 'skipped' };
        const drives = await tx.$queryRaw<{ id: string; name: string; state: string; generation: number; loaded_barcode: string | null; busy: boolean }[]>`
          SELECT d.id::text, d.name, d.state::text AS state, d.generation, t.barcode AS loaded_barcode,
                 EXISTS (SELECT 1 FROM job j WHERE ${jobIsActive('j')} AND ${jobUsesDrive('j', Prisma.raw('d.id'))}) AS busy
          FROM drive d LEFT JOIN tape t ON t.id = d.loaded_tape_id
          WHERE d.agent_id = ${job.agentId}::uuid
          ORDER BY d.name`;
        // A backup that named no tape gets one now (one per copy of its pool), under the agent lock:
        // a tape leased to another unfinished job is never offered, so two queued backups never
        // take the same tape.
        const backupSpec = job.kind === 'BACKUP' ? parseJobSpec(job.kind, job.spec, job.id) : null;
        const pool = backupSpec?.pool ? await poolPolicy(tx, backupSpec.pool) : null;
        // The pool was deleted after the job was queued: wait with a reason rather than write elsewhere.
        if (backupSpec?.pool && !pool) return waiting(tx, job, `pool ${backupSpec.pool} no longer exists; cancel this backup`);
        let chosenTape: string | null = null;
        let chosenCopies = false;
        let copyBarcodes = (backupSpec?.tapes ?? []).filter((t) => t.copy > 1).map((t) => t.barcode);
        if (tapeToChooseAtDispatch(job.kind, job.spec)) {
          const tapes = await pickBackupTapes(tx, job.id, job.agentId, agent.name, pool);
          if ('reason' in tapes) return waiting(tx, job, tapes.reason);
          [chosenTape] = tapes.barcodes as [string];
          copyBarcodes = tapes.barcodes.slice(1);
        } else if (backupSpec?.barcode && pool && pool.copies > 1 && !backupSpec.tapes) {
          // The operator named copy 1's tape; the further copies' tapes are chosen like any.
          const more = await pickBackupTapes(tx, job.id, job.agentId, agent.name, pool, pool.copies - 1, [backupSpec.barcode]);
          if ('reason' in more) return waiting(tx, job, more.reason);
          copyBarcodes = more.barcodes;
          chosenCopies = true;
        }
        const barcode = chosenTape ?? firstTapeOfJob(job.kind, job.spec);
        // Format and backup specs name one tape; a restore spec lists its plan's tapes.
        const holders =
          barcode && !chosenTape
            ? await tx.$queryRaw<{ id: string }[]>`
              SELECT id::text FROM job
              WHERE agent_id = ${job.agentId}::uuid AND ${jobIsActive('')} AND ${jobNamesTape('', Prisma.sql`${barcode}`)}
              LIMIT 1`
            : [];
        const forChoice = drives.map((d) => ({
          id: d.id,
          name: d.name,
          state: d.state,
          generation: d.generation,
          loadedBarcode: d.loaded_barcode,
          busy: d.busy,
        }));
        const choice = choose({
          job,
          barcode,
          agentName: agent.name,
          drives: forChoice,
          tapeHeldBy: holders[0]?.id ?? null,
        });
        if ('reason' in choice) return waiting(tx, job, choice.reason);
        // The further copies get their drives at every assignment (a resumed attempt too).
        const copyDrives = chooseCopyDrives(forChoice, choice.drive, copyBarcodes, agent.name, pool?.generation ?? null);
        if ('reason' in copyDrives) return waiting(tx, job, copyDrives.reason);
        // Set only when the assignment adds tapes to a backup's spec.
        let spec: object | undefined;
        if (chosenTape || copyBarcodes.length > 0) {
          const first = chosenTape ?? backupSpec!.barcode!;
          const tapes: BackupCopyTape[] = [
            { copy: 1, barcode: first, driveName: choice.drive.name, driveId: choice.drive.id },
            ...copyBarcodes.map((barcode, i) => ({ copy: i + 2, barcode, driveName: copyDrives.drives[i].name, driveId: copyDrives.drives[i].id })),
          ];
          spec = { ...backupSpec!, barcode: first, ...(tapes.length > 1 ? { tapes } : {}) } satisfies BackupJobSpec;
          if (chosenTape || chosenCopies) {
            for (const t of tapes) await this.tapes.drawIntoPool(tx, t.barcode, backupSpec!.pool);
            const which = tapes.length > 1 ? `tapes ${tapes.map((t) => `${t.barcode} (copy ${t.copy})`).join(', ')}` : `tape ${first}`;
            await appendServerEvent(tx, jobId, job.attempt, 'TAPE_CHOSEN', `${which} chosen for this backup`);
          }
        }
        const copyNote = copyDrives.drives.length ? `; copies on ${copyDrives.drives.map((d) => d.name).join(', ')}` : '';
        await appendServerEvent(tx, jobId, job.attempt, 'ASSIGNED', `assigned to drive ${choice.drive.name} of ${agent.name}${copyNote}`);
        const assigned = await tx.job.update({
          where: { id: jobId },
          data: {
            status: 'ASSIGNED',
            ...(spec ? { spec } : {}),
            driveId: choice.drive.id,
            leaseOwner: lease.owner,
            leaseExpiresAt: lease.expiresAt,
            queueReason: null,
          },
          include: jobInclude,
        });
        return { outcome: 'assigned', job: assigned, driveName: choice.drive.name };
      }),
    );
  }

  driveName(driveId: string): Promise<string | null> {
    return dbOperation('find drive', async () => (await this.prisma.client.drive.findUnique({ where: { id: driveId }, select: { name: true } }))?.name ?? null);
  }

  /** Ends a QUEUED or ASSIGNED job that can never run (its stored spec is not valid): FAILED with
   *  the code and message, its drive and tapes free again. */
  failUnrunnable(jobId: string, code: string, message: string): Promise<boolean> {
    return dbOperation('fail an unrunnable job', () =>
      this.prisma.client.$transaction(async (tx) => {
        if (!(await lockJob(tx, jobId))) return false;
        const n = await tx.$executeRaw`
          UPDATE job SET status = 'FAILED', drive_id = NULL, lease_owner = NULL, lease_expires_at = NULL, queue_reason = NULL,
                 error_code = ${code}, error_message = ${message}, finished_at = now(), updated_at = now()
          WHERE id = ${jobId}::uuid AND status IN ('QUEUED', 'ASSIGNED')`;
        if (n > 0) {
          const { attempt } = (await tx.job.findUnique({ where: { id: jobId }, select: { attempt: true } }))!;
          await appendServerEvent(tx, jobId, attempt, 'FAILED', `${code}: ${message}`, 'error');
        }
        return n > 0;
      }),
    );
  }

  /** Puts an ASSIGNED job back in the queue (the command could not be delivered). */
  requeue(jobId: string, reason: string): Promise<boolean> {
    return dbOperation('requeue job', async () => {
      const n = await this.prisma.client.$executeRaw`
        UPDATE job SET status = 'QUEUED', drive_id = NULL, lease_owner = NULL, lease_expires_at = NULL,
               spec = ${RELEASE_CHOSEN_TAPE}, queue_reason = ${reason}, updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'ASSIGNED'`;
      return n > 0;
    });
  }
}

async function waiting(tx: Tx, job: JobRow, reason: string): Promise<AssignOutcome> {
  const changed = job.queueReason !== reason;
  if (changed) await tx.job.update({ where: { id: job.id }, data: { queueReason: reason } });
  return { outcome: 'waiting', reason, changed };
}

interface PoolPolicyRow {
  id: string;
  name: string;
  scratchPoolId: string | null;
  copies: number;
  generation: number | null;
}

async function poolPolicy(tx: Tx, name: string): Promise<PoolPolicyRow | null> {
  const [row] = await tx.$queryRaw<PoolPolicyRow[]>`
    SELECT id::text, name, scratch_pool_id::text AS "scratchPoolId", copies, generation FROM pool WHERE name = ${name}`;
  return row ?? null;
}

/** One tape per copy from the agent's writable tapes, leaving out those leased to unfinished jobs. */
async function pickBackupTapes(
  tx: Tx,
  jobId: string,
  agentId: string,
  agentName: string,
  pool: PoolPolicyRow | null,
  copies = pool?.copies ?? 1,
  exclude: string[] = [],
) {
  const rows = await tx.$queryRaw<{ barcode: string; state: string; capacity: bigint; used: bigint; pool_id: string | null; held_by: string | null }[]>`
    SELECT t.barcode, t.state::text AS state, t.capacity_bytes AS capacity, t.used_bytes AS used, t.pool_id::text,
           (SELECT j.id::text FROM job j
             WHERE j.id <> ${jobId}::uuid AND ${jobMayStillWrite('j')} AND ${jobNamesTape('j', Prisma.raw('t.barcode'))}
             LIMIT 1) AS held_by
    FROM tape t
    WHERE t.agent_id = ${agentId}::uuid AND t.formatted_at IS NOT NULL AND NOT t.write_protected
      AND NOT t.cleaning AND t.state IN ('SCRATCH', 'ACTIVE')
    ORDER BY t.barcode`;
  const tapes: WritableTape[] = rows
    .filter((r) => !exclude.includes(r.barcode))
    .map((r) => ({
      barcode: r.barcode,
      state: r.state,
      capacityBytes: Number(r.capacity),
      usedBytes: Number(r.used),
      poolId: r.pool_id,
      heldBy: r.held_by,
    }));
  return chooseBackupTapes(tapes, { agentName, pool: pool ? { id: pool.id, name: pool.name, scratchPoolId: pool.scratchPoolId } : null, copies });
}
