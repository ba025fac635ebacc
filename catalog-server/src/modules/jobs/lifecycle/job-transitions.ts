// How one agent report changes a job: the status machine, progress, errors, and what the report
// says about the tape. Pure: JobReportRecorder runs `decideJobEvent` on the row it has locked and
// writes the outcome (`jobChangesOf`) in the same transaction.
import { JobEventType, type ReportJobEventRequest, type TapeStatus } from '@ferrite/proto';
import type { JobKind, JobStatus, Prisma } from '@ferrite/db';
import { tryParseJobSpec } from './job-spec.js';
import type { TapeUpdate } from '../../tapes/tapes.repository.js';
export type { TapeUpdate } from '../../tapes/tapes.repository.js';
import { JobErrors } from './jobs.errors.js';

export const TERMINAL_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** On an agent now, holding its drive and tapes (a backup waiting for its next tape included). */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE'];

export interface ProgressSnapshot {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Absent in snapshots of agents older than the field. */
  filesFailed?: number;
  currentFile: string;
  currentTape: string;
  /** Server time the snapshot arrived (agent clocks may be off). */
  at: string;
}

export interface JobForEvent {
  id: string;
  kind: JobKind;
  status: JobStatus;
  attempt: number;
  agentId: string | null;
  startedAt: Date | null;
  spec: unknown;
}

export interface EventDecision {
  /** The event row: type name without the proto prefix. */
  type: string;
  level: string;
  message: string;
  data: Record<string, unknown> | null;
  status?: JobStatus;
  startedAt?: Date;
  finishedAt?: Date;
  progress?: ProgressSnapshot;
  errorCode?: string;
  errorMessage?: string;
  tape?: TapeUpdate;
  /** The tapes of a backup's further copies (copy 2..N). */
  copyTapes?: TapeUpdate[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws FerriteError when the report must be refused (not the agent's job, an old attempt, ...). */
export function decideJobEvent(job: JobForEvent, ev: ReportJobEventRequest, now: Date): EventDecision {
  if (job.agentId !== ev.agentId) throw JobErrors.notOwned(job.id, ev.agentId);
  if (ev.attempt !== job.attempt) throw JobErrors.staleAttempt(job.id, ev.attempt, job.attempt);
  if (!Number.isSafeInteger(ev.seq) || ev.seq < 1) throw JobErrors.invalidEvent(`seq must be 1 or more, got ${ev.seq}`, { seq: ev.seq });
  const type = JobEventType[ev.type]?.replace(/^JOB_EVENT_TYPE_/, '');
  if (!type || type === 'UNSPECIFIED' || type === 'UNRECOGNIZED') {
    throw JobErrors.invalidEvent(`unknown job event type ${ev.type}`, { type: ev.type });
  }

  const d: EventDecision = {
    type,
    level: levelOf(type, ev.level),
    message: ev.message,
    data: eventData(ev),
  };
  if (ev.progress) {
    d.progress = { ...ev.progress, at: now.toISOString() };
  }
  if (ev.tape && ev.tape.barcode) d.tape = tapeUpdateOf(job, type, ev.tape);
  // Only tapes the job's spec gave it as copies: an agent cannot update any tape it likes.
  const copyTapes = new Set(job.kind === 'BACKUP' ? (tryParseJobSpec(job.kind, job.spec)?.tapes ?? []).filter((t) => t.copy > 1).map((t) => t.barcode) : []);
  const copies = (ev.copyTapes ?? []).filter((t) => copyTapes.has(t.barcode));
  if (copies.length) d.copyTapes = copies.map((t) => tapeUpdateOf(job, type, t));

  // Ended jobs stay ended; a queued job has no agent working on it. Their reports are only logged.
  const live = ACTIVE_STATUSES.includes(job.status) || job.status === 'INTERRUPTED';
  if (!live) {
    delete d.progress;
    return d;
  }
  switch (type) {
    case 'ACKNOWLEDGED':
    case 'STARTED':
    case 'PROGRESS':
      // INTERRUPTED -> RUNNING: the agent was alive after all (a partition, not a crash). A backup
      // waiting for its next tape keeps waiting through its heartbeats; only the next tape
      // (NextTape's answer, TAPE_CHANGED) puts it back to RUNNING.
      d.status = job.status === 'WAITING_FOR_TAPE' ? 'WAITING_FOR_TAPE' : 'RUNNING';
      if (!job.startedAt) d.startedAt = now;
      break;
    case 'TAPE_CHANGED':
      d.status = 'RUNNING';
      if (!job.startedAt) d.startedAt = now;
      break;
    case 'COMPLETED':
      d.status = 'SUCCEEDED';
      d.finishedAt = now;
      if (!job.startedAt) d.startedAt = now;
      break;
    case 'FAILED':
      d.status = 'FAILED';
      d.finishedAt = now;
      d.errorCode = ev.errorCode || 'AGENT_ERROR';
      d.errorMessage = ev.message || 'the agent reported a failure without a message';
      break;
    case 'CANCELLED':
      d.status = 'CANCELLED';
      d.finishedAt = now;
      break;
    default:
      break; // LOG
  }
  return d;
}

/** What an event keeps besides its message: a failure's code, a log line's file. */
function eventData(ev: ReportJobEventRequest): Record<string, unknown> | null {
  const data: Record<string, unknown> = {};
  if (ev.errorCode) data.errorCode = ev.errorCode;
  if (ev.path) data.path = ev.path;
  return Object.keys(data).length ? data : null;
}

function levelOf(type: string, level: string): string {
  if (type === 'LOG') return ['info', 'warn', 'error'].includes(level) ? level : 'info';
  if (type === 'FAILED') return 'error';
  if (type === 'CANCELLED') return 'warn';
  return 'info';
}

function tapeUpdateOf(job: JobForEvent, type: string, tape: TapeStatus): TapeUpdate {
  const spec = job.kind === 'FORMAT' || job.kind === 'BACKUP' ? tryParseJobSpec(job.kind, job.spec) : null;
  return {
    barcode: tape.barcode,
    capacityBytes: tape.capacityBytes,
    usedBytes: tape.usedBytes,
    volumeUuid: UUID.test(tape.volumeUuid) ? tape.volumeUuid.toLowerCase() : null,
    formatted: tape.formatted,
    reformatted: job.kind === 'FORMAT' && type === 'COMPLETED' && tape.formatted && spec?.barcode === tape.barcode,
    written: job.kind === 'BACKUP' && tape.formatted,
    full: job.kind === 'BACKUP' && tape.formatted && tape.full,
    pool: spec?.pool ?? null,
  };
}

/** The job's columns an event decision changes (empty when it changes none). */
export function jobChangesOf(job: Pick<JobForEvent, 'status'>, decision: EventDecision, leaseUntil?: Date): Prisma.JobUncheckedUpdateInput {
  const data: Prisma.JobUncheckedUpdateInput = {};
  if (decision.status) data.status = decision.status;
  if (decision.startedAt) data.startedAt = decision.startedAt;
  if (decision.finishedAt) {
    data.finishedAt = decision.finishedAt;
    data.leaseOwner = null;
    data.leaseExpiresAt = null;
  }
  if ((decision.status === 'RUNNING' || decision.status === 'WAITING_FOR_TAPE') && leaseUntil) data.leaseExpiresAt = leaseUntil;
  if (decision.progress) data.progress = { ...decision.progress };
  if (decision.errorCode !== undefined) data.errorCode = decision.errorCode;
  if (decision.errorMessage !== undefined) data.errorMessage = decision.errorMessage;
  // INTERRUPTED -> RUNNING: the job was not lost after all, so its AGENT_LOST error goes.
  if (decision.status === 'RUNNING' && job.status === 'INTERRUPTED') {
    data.errorCode = null;
    data.errorMessage = null;
  }
  return data;
}

/** Average rate since the job started, in bytes per second; null until there is a meaningful span. */
export function averageRate(progress: Pick<ProgressSnapshot, 'bytesDone' | 'at'> | null, startedAt: Date | null): number | null {
  if (!progress || !startedAt) return null;
  const seconds = (Date.parse(progress.at) - startedAt.getTime()) / 1000;
  return seconds >= 1 ? Math.round(progress.bytesDone / seconds) : null;
}
