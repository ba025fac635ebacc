// rebuildCatalog: a REBUILD job's agent reads a tape's label, job headers and manifests and reports
// each manifest here (ReportRebuild). Each report is applied idempotently: the tape takes what its
// label says; a backup job the catalog does not know is recorded (SUCCEEDED, under its own id) with
// its runs; the manifest's records are ingested as that job's batch (job, attempt, checkpoint), so a
// manifest the catalog already holds adds nothing; the other copies' tapes named in the records are
// registered (on the shelf) when unknown. After a job's last manifest its runs are counted again.
// Recycling: a tape awaiting its format after retention recycled it gives no rebuild (all it holds
// has expired), and locations on other tapes recycled after the job began are left out.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ReportRebuildRequest, ReportRebuildResponse } from '@ferrite/proto';
import { FerriteError } from '../../../common/errors.js';
import { isUuid } from '../../../common/ids.js';
import { LOGGER, type Logger } from '../../../common/logger.js';
import { AgentErrors } from '../../agents/agents.errors.js';
import { FilesService } from '../../files/files.service.js';
import { RunsService } from '../../runs/runs.service.js';
import { TapesService } from '../../tapes/tapes.service.js';
import { BACKUP_DEFAULTS, parseJobSpec, tryParseJobSpec, type BackupJobSpec } from '../lifecycle/job-spec.js';
import { JobsRepository } from '../lifecycle/jobs.repository.js';
import { JobsService } from '../api/jobs.service.js';
import { JobErrors } from '../lifecycle/jobs.errors.js';
import { parseRebuildLabel, rebuiltJob, withoutRecycledCopies } from './rebuild-report.js';

@Injectable()
export class RebuildService {
  private readonly log: Logger;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly jobsService: JobsService,
    private readonly files: FilesService,
    private readonly runs: RunsService,
    private readonly tapes: TapesService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'rebuild' });
  }

  async report(req: ReportRebuildRequest): Promise<ReportRebuildResponse> {
    if (!isUuid(req.agentId)) throw AgentErrors.idNotFound(req.agentId);
    const job = await this.jobsService.currentAttemptOf(req.jobId, req.agentId, req.attempt);
    if (job.kind !== 'REBUILD')
      throw new FerriteError('JOB_NOT_REBUILD', `job ${job.id} is a ${job.kind} job; only rebuild jobs report what a tape holds`, { jobId: job.id });
    if (!isUuid(req.sourceJobId))
      throw new FerriteError('INVALID_REBUILD_REPORT', `manifest ${req.manifestPath} names job ${JSON.stringify(req.sourceJobId)}, which is not a job id`);

    const barcode = parseJobSpec('REBUILD', job.spec, job.id).barcode;
    const label = parseRebuildLabel(req.labelJson);
    if (label.barcode !== barcode)
      throw new FerriteError('LABEL_MISMATCH', `the tape read is labelled ${label.barcode}, but job ${job.id} rebuilds ${barcode}`, { barcode });

    // Everything is checked before anything is written, so a refused report changes nothing.
    const named = await this.tapes.findByBarcodes([...new Set([barcode, ...req.files.flatMap((f) => f.locations.map((l) => l.barcode))])]);
    if (named.find((t) => t.barcode === barcode)?.reformatPending) throw JobErrors.tapeAwaitingReformat(barcode);
    const source = await this.jobs.findById(req.sourceJobId);
    const existingRuns = source ? await this.runs.rootsOfJob(req.sourceJobId) : [];
    const rebuilt = rebuiltJob(req.sourceJobId, req.jobHeaderJson, req.sourceHost, randomUUID, label.createdAt ?? new Date());
    const kept = withoutRecycledCopies(req.files, barcode, new Map(named.map((t) => [t.barcode, t.recycledAt])), rebuilt.startedAt);
    if (kept.dropped.length) {
      this.log.warn(
        { job: job.id, manifest: req.manifestPath, backup: req.sourceJobId, tapes: kept.dropped },
        'rebuild: locations on tapes recycled after this backup left out (those tapes no longer hold it)',
      );
    }
    const files = kept.files;
    this.files.checkRecords(files, existingRuns.length ? existingRuns : rebuilt.runs, req.sourceJobId);

    await this.tapes.applyRebuildLabel(barcode, label);
    await this.registerUnknownTapes(req.jobId, files);
    let ownerId = source?.agentId ?? req.agentId;
    if (existingRuns.length === 0) {
      if (!source) {
        const spec: BackupJobSpec & { rebuiltFrom: string } = {
          barcode,
          paths: rebuilt.runs.map((r) => r.root),
          excludes: [],
          level: rebuilt.runs.every((r) => r.level === 'INCREMENTAL') ? 'INCREMENTAL' : 'FULL',
          pool: label.pool,
          host: rebuilt.host,
          runIds: rebuilt.runs.map((r) => r.id),
          rebuiltFrom: barcode,
          ...BACKUP_DEFAULTS,
        };
        await this.jobs.createRebuiltBackup({
          id: req.sourceJobId,
          agentId: req.agentId,
          attempt: Math.max(1, req.sourceAttempt),
          spec,
          startedAt: rebuilt.startedAt,
        });
        ownerId = req.agentId;
        this.log.info({ job: job.id, backup: req.sourceJobId, host: rebuilt.host, runs: rebuilt.runs.length }, 'rebuild: backup job recorded from tape');
      }
      await this.runs.restoreBackupRuns(req.sourceJobId, rebuilt.host, rebuilt.runs);
    }
    const result = await this.files.ingestBatch({
      jobId: req.sourceJobId,
      attempt: req.sourceAttempt,
      batchSeq: req.sourceBatchSeq,
      agentId: ownerId,
      records: files,
      manifestPath: req.manifestPath,
    });
    if (req.lastOfJob) {
      // A job known from the tape only: the tape records when it started, not when it ended, so
      // its runs count as finished from their start (for `asOf` an instant).
      const fromTape = !source || (source.kind === 'BACKUP' && tryParseJobSpec(source.kind, source.spec)?.rebuiltFrom !== undefined);
      await this.runs.finishBackupRuns(req.sourceJobId, fromTape ? (source?.startedAt ?? rebuilt.startedAt) : undefined);
    }
    return { added: result.accepted, records: result.stored };
  }

  /** Tapes of further copies that the catalog has never seen: registered as on the shelf. */
  private async registerUnknownTapes(jobId: string, files: ReportRebuildRequest['files']): Promise<void> {
    const named = [...new Set(files.flatMap((f) => f.locations.map((l) => l.barcode)))];
    if (named.length === 0) return;
    const known = new Set((await this.tapes.findByBarcodes(named)).map((t) => t.barcode));
    for (const barcode of named.filter((b) => !known.has(b))) {
      await this.tapes.register(barcode, null).catch((err: unknown) => {
        // Registered meanwhile by another report: fine. Anything else stops the report.
        if (!(err instanceof FerriteError && err.code === 'TAPE_ALREADY_EXISTS')) throw err;
      });
      this.log.info({ job: jobId, tape: barcode }, 'rebuild: a copy tape named on tape registered as on the shelf');
    }
  }
}
