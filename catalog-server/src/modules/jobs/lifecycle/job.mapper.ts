// Catalog rows -> GraphQL models for jobs and their log.
import { etaSeconds, percentDone } from './job-progress.js';
import { summarizeJob, tapesUsedByJob } from './job-spec.js';
import { ACTIVE_STATUSES, averageRate, type ProgressSnapshot } from './job-transitions.js';
import type { JobEventRow } from './job-log.repository.js';
import type { JobRow } from './jobs.repository.js';
import { JobKindValue, JobStatusValue } from './models/job-enums.js';
import type { JobEventModel, JobModel, JobProgressModel } from './models/job.model.js';

export function toJobModel(row: JobRow): JobModel {
  return {
    id: row.id,
    kind: JobKindValue[row.kind],
    status: JobStatusValue[row.status],
    summary: summarizeJob(row.kind, row.spec),
    tapes: tapesUsedByJob(row.kind, row.spec),
    queueReason: row.status === 'QUEUED' || row.status === 'WAITING_FOR_TAPE' ? row.queueReason : null,
    cancelRequested: row.events.length > 0 && ACTIVE_STATUSES.includes(row.status),
    attempt: row.attempt,
    priority: row.priority,
    progress: toProgressModel(row.progress as ProgressSnapshot | null, row.startedAt),
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    idempotencyKey: row.idempotencyKey,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    updatedAt: row.updatedAt,
    agentId: row.agentId,
    driveId: row.driveId,
  };
}

function toProgressModel(p: ProgressSnapshot | null, startedAt: Date | null): JobProgressModel | null {
  if (!p || typeof p !== 'object') return null;
  const figures = {
    bytesDone: Number(p.bytesDone ?? 0),
    bytesTotal: Number(p.bytesTotal ?? 0),
    filesDone: Number(p.filesDone ?? 0),
    filesTotal: Number(p.filesTotal ?? 0),
  };
  const rate = averageRate(p, startedAt);
  return {
    ...figures,
    filesFailed: Number(p.filesFailed ?? 0),
    currentFile: p.currentFile || null,
    currentTape: p.currentTape || null,
    ratePerSecond: rate,
    percentDone: percentDone(figures),
    etaSeconds: etaSeconds(figures, rate),
    updatedAt: new Date(p.at),
  };
}

export function toJobEventModel(row: JobEventRow): JobEventModel {
  const seq = Number(row.seq);
  const data = (row.data ?? null) as { errorCode?: string; path?: string } | null;
  return {
    attempt: row.attempt,
    seq,
    type: row.type,
    source: seq < 0 ? 'SERVER' : 'AGENT',
    level: row.level,
    message: row.message,
    errorCode: data?.errorCode ?? null,
    path: data?.path ?? null,
    at: row.at,
  };
}
