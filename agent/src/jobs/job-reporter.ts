// Reports one job attempt's events and file batches to the server. Events are numbered per attempt
// (the server's idempotency key); progress is throttled and never blocks the job; the final event
// and every file batch are retried until the server has them.
import {
  JobEventType,
  type JobProgress,
  type FileRecord,
  type LibraryInventory,
  type ReportRebuildRequest,
  type ReportRebuildResponse,
  type TapeStatus,
  type VerifiedTape,
} from '@ferrite/proto';
import { RETRY, type ServerClient } from '../session/server-client.js';
import type { Logger } from '../logger.js';

/** A progress snapshot; jobs that cannot fail per file leave filesFailed out. */
export type ProgressFigures = Omit<JobProgress, 'filesFailed'> & { filesFailed?: number };

export interface JobIdentity {
  agentId: () => string;
  jobId: string;
  attempt: number;
}

export class JobReporter {
  private seq = 0;
  private lastProgressAt = 0;
  /** The progress report being sent, if any. */
  private inFlight: Promise<unknown> | undefined;
  /** Set when the server answered that the job was cancelled. */
  cancelRequested = false;
  /** Sees every progress figure, throttled or not (the health module's byte counters). */
  onProgress: ((bytesDone: number) => void) | null = null;

  private readonly log: Logger;

  constructor(
    private readonly client: ServerClient,
    private readonly job: JobIdentity,
    private readonly progressIntervalMs: number,
    log: Logger,
  ) {
    // Every line the reporter writes names its job and attempt (once: callers pass a plain logger).
    this.log = log.child({ job: job.jobId, attempt: job.attempt });
  }

  async event(
    type: JobEventType,
    fields: {
      message?: string;
      progress?: JobProgress;
      errorCode?: string;
      tape?: TapeStatus;
      copyTapes?: TapeStatus[];
      level?: string;
      inventory?: LibraryInventory;
      verifiedTapes?: VerifiedTape[];
      path?: string;
    } = {},
    policy = RETRY.report,
  ): Promise<void> {
    const res = await this.client.reportJobEvent(
      {
        agentId: this.job.agentId(),
        jobId: this.job.jobId,
        attempt: this.job.attempt,
        seq: ++this.seq,
        type,
        at: new Date(),
        message: fields.message ?? '',
        progress: fields.progress,
        errorCode: fields.errorCode ?? '',
        tape: fields.tape,
        copyTapes: fields.copyTapes ?? [],
        level: fields.level ?? '',
        inventory: fields.inventory,
        verifiedTapes: fields.verifiedTapes ?? [],
        path: fields.path ?? '',
      },
      policy,
    );
    if (res.cancelRequested) this.cancelRequested = true;
  }

  /** Sends progress at most every progressIntervalMs (or at once with force); never throws. */
  progress(figures: ProgressFigures, force = false): void {
    this.onProgress?.(figures.bytesDone);
    const progress = { filesFailed: 0, ...figures };
    const now = Date.now();
    if (this.inFlight || (!force && now - this.lastProgressAt < this.progressIntervalMs)) return;
    this.lastProgressAt = now;
    this.inFlight = this.event(JobEventType.JOB_EVENT_TYPE_PROGRESS, { progress }, RETRY.quick)
      .catch((err: Error) => this.log.warn({ err: err.message }, 'progress report lost'))
      .finally(() => (this.inFlight = undefined));
  }

  /** The last progress of a job: waits for a report in flight, then sends this one (so it is not
   *  skipped, and arrives before the job's final event). Never throws. */
  async finalProgress(figures: ProgressFigures): Promise<void> {
    this.onProgress?.(figures.bytesDone);
    const progress = { filesFailed: 0, ...figures };
    while (this.inFlight) await this.inFlight;
    this.lastProgressAt = Date.now();
    await this.event(JobEventType.JOB_EVENT_TYPE_PROGRESS, { progress }, RETRY.quick).catch((err: Error) =>
      this.log.warn({ err: err.message }, 'progress report lost'),
    );
  }

  /** A log line in the job's event log (visible to operators in GraphQL), about one file when
   *  `path` is given (an error line with a path lists the file in the job's failedFiles). Never throws. */
  async note(level: 'info' | 'warn' | 'error', message: string, path?: string): Promise<void> {
    this.log[level](path ? { path } : {}, message);
    await this.event(JobEventType.JOB_EVENT_TYPE_LOG, { message, level, path }, RETRY.quick).catch((err: Error) =>
      this.log.warn({ err: err.message }, 'log line lost'),
    );
  }

  /** One manifest read back by a rebuild job; retried until the server has it (it is idempotent). */
  rebuild(fields: Omit<ReportRebuildRequest, 'agentId' | 'jobId' | 'attempt'>): Promise<ReportRebuildResponse> {
    return this.client.reportRebuild({ agentId: this.job.agentId(), jobId: this.job.jobId, attempt: this.job.attempt, ...fields });
  }

  async files(batchSeq: number, files: FileRecord[], manifestPath: string): Promise<void> {
    const res = await this.client.reportFiles({
      agentId: this.job.agentId(),
      jobId: this.job.jobId,
      attempt: this.job.attempt,
      batchSeq,
      files,
      manifestPath,
    });
    this.log.debug({ batchSeq, files: files.length, accepted: res.accepted }, 'file batch reported');
  }
}
