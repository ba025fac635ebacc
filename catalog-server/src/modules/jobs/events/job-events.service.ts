// Agent reports about jobs (ReportJobEvent): store idempotently, move the job along, tell
// subscribers, free the drive for the next job, and close a backup's runs when it completes.
import { Inject, Injectable } from '@nestjs/common';
import { JobEventType, type ReportJobEventRequest } from '@ferrite/proto';
import { isUuid } from '../../../common/ids.js';
import { LOGGER, type Logger } from '../../../common/logger.js';
import { SERVER_CONFIG, type ServerConfig } from '../../../config/config.js';
import { AgentErrors } from '../../agents/agents.errors.js';
import { AgentsService } from '../../agents/agents.service.js';
import { TapesService } from '../../tapes/tapes.service.js';
import { parseJobSpec, tapesOfJob } from '../lifecycle/job-spec.js';
import { RunsService } from '../../runs/runs.service.js';
import { DispatcherService } from '../dispatch/dispatcher.service.js';
import { JobReportRecorder } from './job-report-recorder.js';
import { BackupTapeWarnings } from './backup-tape-warning.js';
import { JobsWaitingService } from '../lifecycle/jobs-waiting.service.js';
import { decideJobEvent, TERMINAL_STATUSES, type EventDecision } from '../lifecycle/job-transitions.js';
import { JobUpdatesPubSub } from '../lifecycle/job-updates.pubsub.js';
import { JobErrors } from '../lifecycle/jobs.errors.js';
import { JobsRepository, type JobRow } from '../lifecycle/jobs.repository.js';

export interface ReportResult {
  accepted: boolean;
  cancelRequested: boolean;
}

@Injectable()
export class JobEventsService {
  private readonly log: Logger;

  constructor(
    private readonly recorder: JobReportRecorder,
    private readonly runs: RunsService,
    private readonly dispatcher: DispatcherService,
    private readonly updates: JobUpdatesPubSub,
    private readonly agents: AgentsService,
    private readonly tapes: TapesService,
    private readonly jobs: JobsRepository,
    private readonly waiting: JobsWaitingService,
    private readonly tapeWarnings: BackupTapeWarnings,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'job-events' });
  }

  async report(ev: ReportJobEventRequest): Promise<ReportResult> {
    if (!isUuid(ev.agentId)) throw AgentErrors.idNotFound(ev.agentId);
    if (!isUuid(ev.jobId)) throw JobErrors.notFound(ev.jobId);
    const now = new Date();
    // Before the job's end becomes visible: whoever sees it finished also sees where the tapes are.
    await this.applyTapeLayerEffects(ev);
    // Every report of a running job is also proof of life: it extends the job's lease.
    const leaseUntil = new Date(now.getTime() + this.config.heartbeatIntervalMs * this.config.heartbeatMissesBeforeOffline);
    const result = await this.recorder.recordAgentEvent(ev, (job) => decideJobEvent(job, ev, now), leaseUntil);
    if (result.outcome === 'not-found') throw JobErrors.notFound(ev.jobId);

    const { job, decision } = result;
    // Also on a re-sent COMPLETED: closing the runs may have failed the first time (the agent
    // retries exactly because we answered with an error), and it is idempotent.
    if (job.kind === 'BACKUP' && decision.type === 'COMPLETED' && job.status === 'SUCCEEDED') {
      await this.runs.finishBackupRuns(job.id);
    }
    if (result.outcome === 'duplicate') return { accepted: false, cancelRequested: cancelRequested(job) };

    this.logEvent(job, decision);
    // Once the agent has scanned, the bytes it will write are known: warn if the tapes cannot hold them.
    if (job.kind === 'BACKUP' && decision.type === 'PROGRESS' && ev.progress?.bytesTotal) void this.tapeWarnings.afterScan(job, ev.progress.bytesTotal);
    await this.updates.publish(job);
    if (decision.status && TERMINAL_STATUSES.includes(decision.status)) this.dispatcher.kick();
    return { accepted: true, cancelRequested: cancelRequested(job) };
  }

  /**
   * The library inventory an agent sends with a job's end, and a check job's result on its tape.
   * Both are idempotent, so a re-sent event applies them again harmlessly; only the agent that
   * runs the current attempt of an unfinished job is listened to.
   */
  private async applyTapeLayerEffects(ev: ReportJobEventRequest): Promise<void> {
    const ending = ev.type === JobEventType.JOB_EVENT_TYPE_COMPLETED || ev.type === JobEventType.JOB_EVENT_TYPE_FAILED;
    if (!ending && !ev.inventory) return;
    const job = await this.jobs.findById(ev.jobId);
    if (!job || job.agentId !== ev.agentId || job.attempt !== ev.attempt || TERMINAL_STATUSES.includes(job.status)) return;
    if (ev.inventory) {
      await this.agents
        .applyInventory(ev.agentId, ev.inventory)
        .then(() => this.waiting.tapesArrived(ev.agentId))
        .catch((err: Error) => this.log.warn({ err, job: job.id }, 'could not apply the inventory sent with a job event'));
    }
    if (job.kind === 'CHECK' && ending) {
      const barcode = parseJobSpec(job.kind, job.spec, job.id).barcode;
      const result = ev.type === JobEventType.JOB_EVENT_TYPE_COMPLETED ? ev.message : `FAILED: ${ev.errorCode} ${ev.message}`.trim();
      await this.tapes.recordCheck(barcode, new Date(), result);
    }
    if (job.kind === 'VERIFY' && ending) await this.recordVerified(job, ev);
  }

  /** A verify's result on each tape it finished reading; a tape with a failed object becomes SUSPECT. */
  private async recordVerified(job: JobRow, ev: ReportJobEventRequest): Promise<void> {
    // Only tapes the job was given: an agent cannot touch any tape it likes.
    const planned = new Set(tapesOfJob(job.kind, job.spec));
    const wholeTape = job.kind === 'VERIFY' ? parseJobSpec(job.kind, job.spec, job.id).barcode : null;
    for (const t of ev.verifiedTapes ?? []) {
      if (!planned.has(t.barcode)) continue;
      const result = t.objectsFailed
        ? `${t.objectsFailed} of ${t.objectsChecked} object(s) did not read back with their SHA-256 (job ${job.id} names them)`
        : `${t.objectsChecked} object(s), ${t.bytesRead} bytes read back: every SHA-256 matched (job ${job.id})`;
      const state = await this.tapes.recordVerify(t.barcode, new Date(), result, t.objectsFailed, wholeTape === t.barcode);
      if (state && state.before !== state.after) {
        this.log.warn({ job: job.id, tape: t.barcode, from: state.before, to: state.after, failed: t.objectsFailed }, 'verify changed the tape state');
      }
    }
  }

  private logEvent(job: JobRow, d: EventDecision): void {
    const fields = { job: job.id, kind: job.kind, event: d.type, status: job.status };
    if (d.type === 'PROGRESS') this.log.debug(fields, 'job progress');
    else if (d.type === 'FAILED') this.log.warn({ ...fields, errorCode: d.errorCode, message: d.message }, 'job failed');
    else this.log.info({ ...fields, message: d.message }, 'job event');
  }
}

function cancelRequested(job: JobRow): boolean {
  return job.status === 'CANCELLED' || job.events.length > 0;
}
