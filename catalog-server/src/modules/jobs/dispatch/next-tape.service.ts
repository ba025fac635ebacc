// A backup continues on the next tape: when one copy's tape reaches its early-warning zone, the
// agent confirms what it wrote there (manifest, index sync, records reported) and asks for the next
// one (NextTape). In one transaction, under the agent's row lock (as every tape choice is made, so
// two jobs never take one tape): the full tape becomes FULL, and the next tape for that copy is
// chosen by the same rules as a backup's first (backup-tape-choice.ts: the pool's ACTIVE tape with
// the most room, else a scratch tape), from the library of the drive writing that copy. The job's
// spec then names the new tape (where a resumed attempt goes on) and lists every tape used
// (`spanned`, `Job.tapes`). With no tape to take, the answer says why and the agent asks again; the
// job waits WAITING_FOR_TAPE with an operator request saying what to insert where (the agent keeps
// the job and its drive, no transaction stays open), and runs again with the tape it gets next.
import { Inject, Injectable } from '@nestjs/common';
import type { NextTapeRequest, NextTapeResponse } from '@ferrite/proto';
import { isUuid } from '../../../common/ids.js';
import { LOGGER, type Logger } from '../../../common/logger.js';
import { SERVER_CONFIG, type ServerConfig } from '../../../config/config.js';
import { PrismaService } from '../../../database/prisma.service.js';
import { inTransaction, type Tx } from '../../../database/transaction.js';
import { AgentErrors } from '../../agents/agents.errors.js';
import { TapesRepository } from '../../tapes/tapes.repository.js';
import { JobLogRepository } from '../lifecycle/job-log.repository.js';
import { currentTapeOfCopy, parseJobSpec, specOnNextTape, type BackupJobSpec } from '../lifecycle/job-spec.js';
import { JobErrors } from '../lifecycle/jobs.errors.js';
import { JobsRepository, type JobRow } from '../lifecycle/jobs.repository.js';
import type { NextTapeWhere } from '../../operator-requests/operator-requests.service.js';
import { ACTIVE_STATUSES } from '../lifecycle/job-transitions.js';
import { JobsWaitingService } from '../lifecycle/jobs-waiting.service.js';
import { chooseBackupTapes } from './backup-tape-choice.js';
import { DispatchRepository, type DrivePlace } from './dispatch.repository.js';

interface CopyPlace {
  agentName: string;
  drive: DrivePlace | null;
}

@Injectable()
export class NextTapeService {
  private readonly log: Logger;

  constructor(
    private readonly prisma: PrismaService,
    private readonly jobs: JobsRepository,
    private readonly jobLog: JobLogRepository,
    private readonly reads: DispatchRepository,
    private readonly tapes: TapesRepository,
    private readonly waiting: JobsWaitingService,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'next-tape' });
  }

  async nextTape(req: NextTapeRequest): Promise<NextTapeResponse> {
    if (!isUuid(req.agentId)) throw AgentErrors.idNotFound(req.agentId);
    if (!isUuid(req.jobId)) throw JobErrors.notFound(req.jobId);
    const full = req.fullTape;
    if (!full?.barcode) throw JobErrors.invalidEvent('NextTape needs the full tape', { jobId: req.jobId });
    const { answer, requests } = await inTransaction(this.prisma, 'choose the next tape of a backup', async (tx) => {
      const job = await this.lockRunningBackup(tx, req);
      const spec = parseJobSpec('BACKUP', job.spec, job.id);
      const current = currentTapeOfCopy(spec, req.copy);
      if (current === null) throw JobErrors.invalidEvent(`job ${job.id} writes no copy ${req.copy}`, { jobId: job.id, copy: req.copy });
      if (current !== full.barcode) return { answer: this.alreadyMoved(job, spec, req.copy, full.barcode, current), requests: [] };
      await this.tapes.markFull(tx, full.barcode, full.usedBytes, full.capacityBytes);
      const place = await this.placeOfCopy(tx, job, spec, req.copy);
      const next = await this.chooseNext(tx, job, spec, place);
      if ('reason' in next) {
        const opened = await this.waiting.waitForNextTape(tx, job, this.whereToInsert(job, spec, req.copy, place), next.reason);
        return { answer: { barcode: '', waitReason: next.reason }, requests: opened ? [opened] : [] };
      }
      await this.tapes.drawIntoPool(tx, next.barcode, spec.pool);
      const moved: object = specOnNextTape(spec, req.copy, next.barcode);
      await this.jobs.update(tx, job.id, { spec: moved });
      const copyNote = spec.tapes?.length ? ` (copy ${req.copy})` : '';
      await this.jobLog.appendServerLine(tx, job.id, job.attempt, 'TAPE_CHOSEN', `tape ${full.barcode}${copyNote} is full; continuing on ${next.barcode}`);
      return { answer: { barcode: next.barcode, waitReason: '' }, requests: await this.waiting.nextTapeTaken(tx, job, req.copy) };
    });
    if (answer.barcode) {
      this.log.info({ job: req.jobId, copy: req.copy, full: full.barcode, next: answer.barcode }, 'backup continues on the next tape');
      await this.waiting.announce(requests, true);
    } else {
      this.log.warn({ job: req.jobId, copy: req.copy, full: full.barcode, reason: answer.waitReason }, 'backup waits for a next tape');
      await this.waiting.announce(requests, false);
    }
    return answer;
  }

  /** The job, locked: it must be this agent's running backup, on this attempt. */
  private async lockRunningBackup(tx: Tx, req: NextTapeRequest): Promise<JobRow> {
    const job = await this.jobs.lock(tx, req.jobId);
    if (!job) throw JobErrors.notFound(req.jobId);
    if (job.agentId !== req.agentId) throw JobErrors.notOwned(job.id, req.agentId);
    if (job.attempt !== req.attempt) throw JobErrors.staleAttempt(job.id, req.attempt, job.attempt);
    if (job.kind !== 'BACKUP' || !ACTIVE_STATUSES.includes(job.status)) {
      throw JobErrors.invalidEvent(`job ${job.id} is not a running backup (${job.kind}, ${job.status})`, { jobId: job.id });
    }
    return job;
  }

  /** A retried request: the copy already moved on from the full tape; the same answer again. */
  private alreadyMoved(job: JobRow, spec: BackupJobSpec, copy: number, fullBarcode: string, current: string): NextTapeResponse {
    const used = (spec.spanned ?? []).filter((t) => t.copy === copy).map((t) => t.barcode);
    const at = used.indexOf(fullBarcode);
    if (at >= 0 && used[at + 1] === current) return { barcode: current, waitReason: '' };
    throw JobErrors.invalidEvent(`tape ${fullBarcode} is not the tape copy ${copy} of job ${job.id} writes (${current})`, {
      jobId: job.id,
      copy,
      barcode: fullBarcode,
    });
  }

  /** The drive writing the copy, where it is, and the agent (locked: tape choices are made under its lock). */
  private async placeOfCopy(tx: Tx, job: JobRow, spec: BackupJobSpec, copy: number): Promise<CopyPlace> {
    const agentName = (await this.reads.lockAgent(tx, job.agentId!)) ?? '';
    const driveId = copy === 1 ? job.driveId : (spec.tapes?.find((t) => t.copy === copy)?.driveId ?? null);
    const drive = driveId ? await this.reads.placeOfDrive(tx, driveId) : null;
    return { agentName, drive };
  }

  private whereToInsert(job: JobRow, spec: BackupJobSpec, copy: number, place: CopyPlace): NextTapeWhere & { agentId: string } {
    return {
      pool: spec.pool ?? null,
      copy,
      copies: Math.max(1, spec.tapes?.length ?? 1),
      library: place.drive?.changerName ?? null,
      drive: place.drive?.driveName ?? 'its drive',
      agentId: job.agentId!,
      agentName: place.agentName,
      hostname: place.drive?.hostname ?? place.agentName,
      jobId: job.id,
    };
  }

  /** The next tape for the copy, from the library of the drive writing it, never one the job already used. */
  private async chooseNext(tx: Tx, job: JobRow, spec: BackupJobSpec, place: CopyPlace): Promise<{ barcode: string } | { reason: string }> {
    const { agentName } = place;
    const changerId = place.drive?.changerId ?? null;
    const pool = spec.pool ? await this.reads.poolPolicy(tx, spec.pool) : null;
    if (spec.pool && !pool) return { reason: `pool ${spec.pool} no longer exists` };
    const own = new Set([spec.barcode, ...(spec.tapes ?? []).map((t) => t.barcode), ...(spec.spanned ?? []).map((t) => t.barcode)]);
    // A standalone drive (no library) can only go on with the cartridge an operator put into it.
    const standalone = place.drive !== null && changerId === null;
    const candidates = (await this.reads.writableTapes(tx, job.agentId!, job.id, changerId ?? undefined)).filter(
      (t) => !own.has(t.barcode) && (!standalone || t.barcode === place.drive?.loadedBarcode),
    );
    const choice = chooseBackupTapes(candidates, {
      agentName,
      pool,
      copies: 1,
      minFreePercent: this.config.tapeMinFreePercent,
    });
    if ('reason' in choice) {
      const loaded = place.drive?.loadedBarcode;
      const where = changerId
        ? ' (in the library of the drive writing it)'
        : standalone
          ? ` (in standalone drive ${place.drive!.driveName}, which holds ${loaded && !own.has(loaded) ? `${loaded}, not a writable tape of the pool` : loaded ? `${loaded}, a tape this backup already used` : 'no tape'})`
          : '';
      return { reason: `${choice.reason}${where}` };
    }
    return { barcode: choice.barcodes[0] };
  }
}
