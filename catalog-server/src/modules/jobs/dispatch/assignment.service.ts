// Assigns one queued job, in one transaction. The job row is taken with FOR UPDATE SKIP LOCKED (a
// second dispatcher skips it) and must still be QUEUED; the agent's row is locked while its drives
// and tapes are handed out, so two jobs never get the same drive or tape. A backup that named no
// tape gets one now (one per copy of its pool); a tape leased to another unfinished job is never
// offered. The choices are the pure functions of drive-choice.ts and backup-tape-choice.ts.
import { Inject, Injectable } from '@nestjs/common';
import { SERVER_CONFIG, type ServerConfig } from '../../../config/config.js';
import { PrismaService } from '../../../database/prisma.service.js';
import { inTransaction, type Tx } from '../../../database/transaction.js';
import { TapesRepository } from '../../tapes/tapes.repository.js';
import { chooseBackupTapes } from './backup-tape-choice.js';
import { DispatchRepository, type PoolPolicyRow } from './dispatch.repository.js';
import { chooseCopyDrives, type DriveChoice, type DriveForChoice } from './drive-choice.js';
import { JobLogRepository } from '../lifecycle/job-log.repository.js';
import { firstTapeOfJob, parseJobSpec, tapeToChooseAtDispatch, type BackupCopyTape, type BackupJobSpec } from '../lifecycle/job-spec.js';
import { JobsRepository, type JobRow } from '../lifecycle/jobs.repository.js';

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

export interface Lease {
  owner: string;
  expiresAt: Date;
}

/** The tapes a backup's assignment settles: copy 1's (chosen now or named) and the further copies'. */
interface BackupTapes {
  /** Copy 1's tape when the dispatcher chose it now. */
  chosen: string | null;
  /** The further copies' tapes, in copy order. */
  copies: string[];
  /** The further copies' tapes were chosen now (copy 1's was named by the operator). */
  copiesChosen: boolean;
}

@Injectable()
export class AssignmentService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly reads: DispatchRepository,
    private readonly jobs: JobsRepository,
    private readonly log: JobLogRepository,
    private readonly tapes: TapesRepository,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /** Tries to assign one queued job; `choose` picks the drive from the locked state (pure logic). */
  tryAssign(jobId: string, lease: Lease, choose: (ctx: AssignmentContext) => DriveChoice): Promise<AssignOutcome> {
    return inTransaction(this.prisma, 'assign job', async (tx): Promise<AssignOutcome> => {
      const job = await this.jobs.lockQueued(tx, jobId);
      if (!job?.agentId) return { outcome: 'skipped' };
      const agentName = await this.reads.lockAgent(tx, job.agentId);
      if (!agentName) return { outcome: 'skipped' };
      const drives = await this.reads.drivesOf(tx, job.agentId);
      const backupSpec = job.kind === 'BACKUP' ? parseJobSpec(job.kind, job.spec, job.id) : null;
      const pool = backupSpec?.pool ? await this.reads.poolPolicy(tx, backupSpec.pool) : null;
      // The pool was deleted after the job was queued: wait with a reason rather than write elsewhere.
      if (backupSpec?.pool && !pool) return this.waiting(tx, job, `pool ${backupSpec.pool} no longer exists; cancel this backup`);
      const tapes = await this.backupTapes(tx, job, agentName, backupSpec, pool);
      if ('reason' in tapes) return this.waiting(tx, job, tapes.reason);
      const barcode = tapes.chosen ?? firstTapeOfJob(job.kind, job.spec);
      // Format and backup specs name one tape; a restore spec lists its plan's tapes.
      const tapeHeldBy = barcode && !tapes.chosen ? await this.reads.activeJobOnTape(tx, job.agentId, barcode) : null;
      const choice = choose({ job, barcode, agentName, drives, tapeHeldBy });
      if ('reason' in choice) return this.waiting(tx, job, choice.reason);
      // The further copies get their drives at every assignment (a resumed attempt too).
      const copyDrives = chooseCopyDrives(drives, choice.drive, tapes.copies, agentName, pool?.generation ?? null);
      if ('reason' in copyDrives) return this.waiting(tx, job, copyDrives.reason);
      const spec = await this.settleBackupTapes(tx, job, backupSpec, tapes, choice.drive, copyDrives.drives);
      const copyNote = copyDrives.drives.length ? `; copies on ${copyDrives.drives.map((d) => d.name).join(', ')}` : '';
      await this.log.appendServerLine(tx, jobId, job.attempt, 'ASSIGNED', `assigned to drive ${choice.drive.name} of ${agentName}${copyNote}`);
      const assigned = await this.jobs.update(tx, jobId, {
        status: 'ASSIGNED',
        ...(spec ? { spec } : {}),
        driveId: choice.drive.id,
        leaseOwner: lease.owner,
        leaseExpiresAt: lease.expiresAt,
        queueReason: null,
      });
      return { outcome: 'assigned', job: assigned, driveName: choice.drive.name };
    });
  }

  /** The tapes a backup takes at this assignment, or why it waits; nothing for other kinds. */
  private async backupTapes(
    tx: Tx,
    job: JobRow,
    agentName: string,
    spec: BackupJobSpec | null,
    pool: PoolPolicyRow | null,
  ): Promise<BackupTapes | { reason: string }> {
    const named = { chosen: null, copies: (spec?.tapes ?? []).filter((t) => t.copy > 1).map((t) => t.barcode), copiesChosen: false };
    if (tapeToChooseAtDispatch(job.kind, job.spec)) {
      const picked = await this.pickTapes(tx, job, agentName, pool, pool?.copies ?? 1, []);
      if ('reason' in picked) return picked;
      return { chosen: picked.barcodes[0], copies: picked.barcodes.slice(1), copiesChosen: false };
    }
    if (spec?.barcode && pool && pool.copies > 1 && !spec.tapes) {
      // The operator named copy 1's tape; the further copies' tapes are chosen like any.
      const more = await this.pickTapes(tx, job, agentName, pool, pool.copies - 1, [spec.barcode]);
      if ('reason' in more) return more;
      return { chosen: null, copies: more.barcodes, copiesChosen: true };
    }
    return named;
  }

  /** One tape per copy from the agent's writable tapes, leaving out those leased to unfinished jobs. */
  private async pickTapes(tx: Tx, job: JobRow, agentName: string, pool: PoolPolicyRow | null, copies: number, exclude: string[]) {
    const tapes = (await this.reads.writableTapes(tx, job.agentId!, job.id)).filter((t) => !exclude.includes(t.barcode));
    const need = {
      agentName,
      pool,
      copies,
      minFreePercent: this.config.tapeMinFreePercent,
    };
    return chooseBackupTapes(tapes, need);
  }

  /**
   * Writes a backup's tapes into its spec (with the drive of each copy) and draws the tapes chosen
   * now into the pool; returns the new spec, or undefined when the assignment adds no tapes.
   */
  private async settleBackupTapes(
    tx: Tx,
    job: JobRow,
    backupSpec: BackupJobSpec | null,
    tapes: BackupTapes,
    drive: { id: string; name: string },
    copyDrives: { id: string; name: string }[],
  ): Promise<object | undefined> {
    if (!backupSpec || (!tapes.chosen && tapes.copies.length === 0)) return undefined;
    const first = tapes.chosen ?? backupSpec.barcode!;
    const all: BackupCopyTape[] = [
      { copy: 1, barcode: first, driveName: drive.name, driveId: drive.id },
      ...tapes.copies.map((barcode, i) => ({ copy: i + 2, barcode, driveName: copyDrives[i].name, driveId: copyDrives[i].id })),
    ];
    if (tapes.chosen || tapes.copiesChosen) {
      for (const t of all) await this.tapes.drawIntoPool(tx, t.barcode, backupSpec.pool);
      const which = all.length > 1 ? `tapes ${all.map((t) => `${t.barcode} (copy ${t.copy})`).join(', ')}` : `tape ${first}`;
      await this.log.appendServerLine(tx, job.id, job.attempt, 'TAPE_CHOSEN', `${which} chosen for this backup`);
    }
    return { ...backupSpec, barcode: first, ...(all.length > 1 ? { tapes: all } : {}) };
  }

  private async waiting(tx: Tx, job: JobRow, reason: string): Promise<AssignOutcome> {
    const changed = job.queueReason !== reason;
    if (changed) await this.jobs.update(tx, job.id, { queueReason: reason });
    return { outcome: 'waiting', reason, changed };
  }
}
