// Catalog rows -> GraphQL models for schedules and their firings.
import { BackupLevelValue } from '../jobs/lifecycle/models/job-enums.js';
import type { ScheduleFiringModel, ScheduleModel } from './models/schedule.model.js';
import type { ScheduleFiringRow, ScheduleRow } from './schedules.repository.js';

export function toScheduleModel(row: ScheduleRow): ScheduleModel {
  return {
    id: row.id,
    name: row.name,
    cron: row.cron,
    timeZone: row.timeZone,
    agent: row.agent.name,
    paths: row.paths,
    excludes: row.excludes,
    pool: row.pool?.name ?? null,
    level: BackupLevelValue[row.level],
    enabled: row.enabled,
    lastFiredAt: row.lastFiredAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toScheduleFiringModel(row: ScheduleFiringRow): ScheduleFiringModel {
  return {
    fireTime: row.fireTime,
    jobId: row.jobId,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    note: row.note,
    claimedBy: row.claimedBy,
    finishedAt: row.finishedAt,
  };
}
