// Runs the jobs the server assigns: one job per drive at a time, each with its own abort signal.
// The lifecycle (ACKNOWLEDGED, STARTED, then COMPLETED / FAILED / CANCELLED) is reported here, so
// handlers only do their work and throw JobError on failure.
import { status } from '@grpc/grpc-js';
import { JobEventType, JobKind, type AssignJob } from '@ferrite/proto';
import { TapeError } from '../drives/drive.js';
import type { DriveSet } from '../drives/drive-set.js';
import type { AgentConfig } from '../config/agent-config.js';
import type { Logger } from '../logger.js';
import { RETRY, serverRefusal, type ServerClient } from '../session/server-client.js';
import { JobError, type JobContext } from './job-context.js';
import { JobReporter } from './job-reporter.js';
import { enforcePolicy } from './job-policy.js';
import { grpcBaseSource, grpcRestoreItemsSource, grpcVerifyItemsSource } from '../backup/base-source.js';
import { runBackupJob } from './backup-job.js';
import { runFormatJob } from './format-job.js';
import { runRestoreJob } from './restore-job.js';
import { runVerifyJob } from './verify-job.js';
import { runRebuildJob } from './rebuild-job.js';
import { copyTapeStatusesOf, tapeStatusOf } from './tape-handling.js';
import { runInventoryJob, runLoadJob, runMoveJob, runUnloadJob } from './library-jobs.js';
import { runCheckJob, runCleanJob } from './maintenance-jobs.js';
import { takeInventory } from '../session/inventory.js';
import type { LibraryInventory } from '@ferrite/proto';

interface RunningJob {
  jobId: string;
  attempt: number;
  /** Every drive the job holds: its own and, for a backup writing copies, the copies' drives. */
  driveNames: string[];
  abort: AbortController;
  reason?: string;
  done: Promise<void>;
}

/** Sees the progress of each job (the health module's metrics); never blocks a job. */
export interface JobWatcher {
  progress(job: { jobId: string; attempt: number; kind: string; driveNames: string[] }, bytesDone: number): void;
}

export class JobRunner {
  private readonly running = new Map<string, RunningJob>();
  private draining = false;
  private watcher: JobWatcher | null = null;

  constructor(
    private readonly client: ServerClient,
    private readonly drives: DriveSet,
    private readonly config: AgentConfig,
    private readonly agentId: () => string,
    private readonly log: Logger,
  ) {}

  watch(watcher: JobWatcher): void {
    this.watcher = watcher;
  }

  runningJobIds(): string[] {
    return [...this.running.keys()];
  }

  busyDriveNames(): Set<string> {
    return new Set([...this.running.values()].flatMap((j) => j.driveNames));
  }

  assign(cmd: AssignJob): void {
    const existing = this.running.get(cmd.jobId);
    if (existing && existing.attempt === cmd.attempt) return; // a re-sent assignment of a job we run
    const reporter = new JobReporter(this.client, { agentId: this.agentId, jobId: cmd.jobId, attempt: cmd.attempt }, this.config.progressIntervalMs, this.log);
    const abort = new AbortController();
    const driveNames = [cmd.driveName, ...(cmd.backup?.copies ?? []).map((c) => c.driveName)];
    const watcher = this.watcher;
    if (watcher) reporter.onProgress = (bytes) => watcher.progress({ jobId: cmd.jobId, attempt: cmd.attempt, kind: JobKind[cmd.kind], driveNames }, bytes);
    const job: RunningJob = { jobId: cmd.jobId, attempt: cmd.attempt, driveNames, abort, done: Promise.resolve() };
    this.running.set(cmd.jobId, job);
    job.done = this.execute(cmd, driveNames, reporter, abort).finally(() => this.running.delete(cmd.jobId));
  }

  cancel(jobId: string, reason: string): void {
    const job = this.running.get(jobId);
    if (!job) return;
    job.reason = reason;
    job.abort.abort();
  }

  /** Stops accepting jobs, cancels the running ones and waits for them to unmount and report. */
  async shutdown(reason: string): Promise<void> {
    this.draining = true;
    for (const job of this.running.values()) {
      job.reason = reason;
      job.abort.abort();
    }
    await Promise.allSettled([...this.running.values()].map((j) => j.done));
  }

  /** `mine`: the job's drive first, then its copies' drives (as in RunningJob.driveNames). */
  private async execute(cmd: AssignJob, mine: string[], reporter: JobReporter, abort: AbortController): Promise<void> {
    const log = this.log.child({ job: cmd.jobId, attempt: cmd.attempt, drive: cmd.driveName });
    const entry = this.drives.get(cmd.driveName);
    const copyDrives = (cmd.backup?.copies ?? []).map((c) => ({ ...c, entry: this.drives.get(c.driveName) }));
    const otherOnDrive = [...this.running.values()].find((j) => j.jobId !== cmd.jobId && j.driveNames.some((d) => mine.includes(d)));
    let ctx: JobContext | undefined;
    const cancelWatch = setInterval(() => reporter.cancelRequested && abort.abort(), 500);
    try {
      await reporter.event(JobEventType.JOB_EVENT_TYPE_ACKNOWLEDGED, { message: `accepted on ${cmd.driveName}` });
      await this.refuseUnrunnable(cmd, mine, copyDrives, otherOnDrive);
      if (!entry) throw new JobError('UNKNOWN_DRIVE', `this agent has no drive named ${cmd.driveName}`);
      ctx = {
        jobId: cmd.jobId,
        attempt: cmd.attempt,
        agentName: this.config.name,
        drive: entry.drive,
        library: entry.library,
        reporter,
        signal: abort.signal,
        log,
        config: this.config,
        baseSource: grpcBaseSource(this.client.raw, this.agentId, cmd.jobId),
        verifyItems: grpcVerifyItemsSource(this.client.raw, this.agentId, cmd.jobId, cmd.attempt),
        restoreItems: grpcRestoreItemsSource(this.client.raw, this.agentId, cmd.jobId, cmd.attempt),
        nextTapeRetryMs: this.config.nextTapeRetryMs,
        requestTape: this.tapeRequester(cmd),
        nextTape: (copy, fullTape) =>
          this.client.nextTape({ agentId: this.agentId(), jobId: cmd.jobId, attempt: cmd.attempt, copy, fullTape }).catch((err: unknown) => {
            if ((err as { code?: number }).code === status.UNIMPLEMENTED) return null;
            throw err;
          }),
        copies: copyDrives.map((c) => ({ copy: c.copy, barcode: c.barcode, drive: c.entry!.drive, library: c.entry!.library })),
        driveInUse: (libraryName, driveIndex) => this.driveInUse(cmd.jobId, libraryName, driveIndex),
      };
      await reporter.event(JobEventType.JOB_EVENT_TYPE_STARTED, { message: `started ${JobKind[cmd.kind]} on ${cmd.driveName}` });
      const summary = await this.dispatch(ctx, cmd);
      await reporter.event(
        JobEventType.JOB_EVENT_TYPE_COMPLETED,
        {
          message: summary,
          tape: await tapeStatusOf(ctx),
          copyTapes: await copyTapeStatusesOf(ctx),
          inventory: await this.inventoryAfter(cmd.jobId, log),
          verifiedTapes: ctx.verifiedTapes,
        },
        RETRY.final,
      );
      log.info({ summary }, 'job completed');
    } catch (err) {
      const cancelled = abort.signal.aborted || (err instanceof JobError && err.code === 'CANCELLED');
      // A report the server refused ends the job with the server's own code and words.
      const refused = serverRefusal(err);
      const code = cancelled ? 'CANCELLED' : err instanceof JobError || err instanceof TapeError ? err.code : (refused?.code ?? 'AGENT_INTERNAL_ERROR');
      const message = cancelled ? (this.running.get(cmd.jobId)?.reason ?? 'cancelled') : (refused?.message ?? (err as Error).message);
      if (code === 'AGENT_INTERNAL_ERROR') log.error({ err }, 'job failed unexpectedly');
      else log.warn({ code, message }, cancelled ? 'job cancelled' : 'job failed');
      const type = cancelled && !this.draining ? JobEventType.JOB_EVENT_TYPE_CANCELLED : JobEventType.JOB_EVENT_TYPE_FAILED;
      await reporter
        .event(
          type,
          {
            message,
            errorCode: this.draining && cancelled ? 'AGENT_SHUTDOWN' : code,
            tape: ctx ? await tapeStatusOf(ctx) : undefined,
            copyTapes: ctx ? await copyTapeStatusesOf(ctx) : [],
            inventory: await this.inventoryAfter(cmd.jobId, log),
            verifiedTapes: ctx?.verifiedTapes,
          },
          this.draining ? RETRY.quick : RETRY.final,
        )
        .catch((e: Error) => log.error({ err: e.message }, 'could not report the end of the job'));
    } finally {
      clearInterval(cancelWatch);
    }
  }

  /** Why the job cannot start here, thrown before STARTED: nothing has been touched yet. */
  private async refuseUnrunnable(cmd: AssignJob, mine: string[], copyDrives: Array<{ driveName: string; copy: number; entry?: unknown }>, other?: RunningJob) {
    if (this.draining) throw new JobError('AGENT_DRAINING', 'agent is shutting down and takes no new jobs');
    const unknownCopyDrive = copyDrives.find((c) => !c.entry);
    if (unknownCopyDrive)
      throw new JobError('UNKNOWN_DRIVE', `this agent has no drive named ${unknownCopyDrive.driveName} (for copy ${unknownCopyDrive.copy})`);
    if (new Set(mine).size !== mine.length) throw new JobError('INVALID_SPEC', `a backup's copies must be written by different drives, got ${mine.join(', ')}`);
    if (other) throw new JobError('DRIVE_BUSY', `drive ${other.driveNames.find((d) => mine.includes(d))} is running job ${other.jobId}`);
    // The agent's own policy: an order outside it touches no drive, tape or file.
    await enforcePolicy(this.config, cmd);
  }

  /** The drives held by running jobs other than `jobId`, by name. */
  private drivesOfOtherJobs(jobId: string): Set<string> {
    return new Set([...this.running.values()].filter((j) => j.jobId !== jobId).flatMap((j) => j.driveNames));
  }

  /** Whether a job other than `jobId` holds drive `driveIndex` of library `libraryName`. */
  private driveInUse(jobId: string, libraryName: string, driveIndex: number): boolean {
    return [...this.drivesOfOtherJobs(jobId)].some((name) => {
      const identity = this.drives.get(name)?.drive.identity;
      return identity?.libraryName === libraryName && identity.libraryDriveIndex === driveIndex;
    });
  }

  /** What the libraries hold now, sent with the job's last event (the job's own drive counts as free). */
  /** RequestTape for the job's operator requests at a standalone drive. */
  private tapeRequester(cmd: AssignJob): NonNullable<JobContext['requestTape']> {
    return async (barcode, driveName, done, note) => {
      await this.client.requestTape({ agentId: this.agentId(), jobId: cmd.jobId, attempt: cmd.attempt, barcode, driveName, done, note });
    };
  }

  private async inventoryAfter(jobId: string, log: Logger): Promise<LibraryInventory | undefined> {
    const busy = this.drivesOfOtherJobs(jobId);
    try {
      return await takeInventory(this.drives, busy);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not take the inventory after the job');
      return undefined;
    }
  }

  private dispatch(ctx: JobContext, cmd: AssignJob): Promise<string> {
    const spec = <T>(value: T | undefined): T => {
      if (!value) throw new JobError('INVALID_SPEC', `${JobKind[cmd.kind]} job without its spec`);
      return value;
    };
    switch (cmd.kind) {
      case JobKind.JOB_KIND_INVENTORY:
        return runInventoryJob(ctx, spec(cmd.inventory), this.drives.libraries);
      case JobKind.JOB_KIND_LOAD:
        return runLoadJob(ctx, spec(cmd.load));
      case JobKind.JOB_KIND_UNLOAD:
        return runUnloadJob(ctx, spec(cmd.unload));
      case JobKind.JOB_KIND_MOVE:
        return runMoveJob(ctx, spec(cmd.move), this.drives.libraries);
      case JobKind.JOB_KIND_CHECK:
        return runCheckJob(ctx, spec(cmd.check));
      case JobKind.JOB_KIND_CLEAN:
        return runCleanJob(ctx, spec(cmd.clean));
      case JobKind.JOB_KIND_FORMAT:
        if (!cmd.format) throw new JobError('INVALID_SPEC', 'format job without its spec');
        return runFormatJob(ctx, cmd.format);
      case JobKind.JOB_KIND_BACKUP:
        if (!cmd.backup) throw new JobError('INVALID_SPEC', 'backup job without its spec');
        return runBackupJob(ctx, cmd.backup);
      case JobKind.JOB_KIND_RESTORE:
        if (!cmd.restore) throw new JobError('INVALID_SPEC', 'restore job without its spec');
        return runRestoreJob(ctx, cmd.restore);
      case JobKind.JOB_KIND_VERIFY:
        return runVerifyJob(ctx, spec(cmd.verify));
      case JobKind.JOB_KIND_REBUILD:
        return runRebuildJob(ctx, spec(cmd.rebuild));
      default:
        throw new JobError('UNSUPPORTED_JOB_KIND', `this agent cannot run ${JobKind[cmd.kind] ?? cmd.kind} jobs yet`);
    }
  }
}
