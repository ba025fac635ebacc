import { registerEnumType } from '@nestjs/graphql';

// The API's own enums (not Prisma's), so the schema can evolve without breaking clients.
export enum JobKindValue {
  FORMAT = 'FORMAT',
  BACKUP = 'BACKUP',
  RESTORE = 'RESTORE',
  VERIFY = 'VERIFY',
  INVENTORY = 'INVENTORY',
  REBUILD = 'REBUILD',
  LOAD = 'LOAD',
  UNLOAD = 'UNLOAD',
  MOVE = 'MOVE',
  CHECK = 'CHECK',
  CLEAN = 'CLEAN',
}

export enum JobStatusValue {
  QUEUED = 'QUEUED',
  ASSIGNED = 'ASSIGNED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
  INTERRUPTED = 'INTERRUPTED',
}

export enum BackupLevelValue {
  FULL = 'FULL',
  INCREMENTAL = 'INCREMENTAL',
}

registerEnumType(JobKindValue, { name: 'JobKind' });
registerEnumType(JobStatusValue, {
  name: 'JobStatus',
  description:
    'QUEUED: waiting for its agent and a free drive (see queueReason). ASSIGNED: sent to the agent. RUNNING. ' +
    'SUCCEEDED, FAILED, CANCELLED: ended. INTERRUPTED: the agent went away mid-job.',
});
registerEnumType(BackupLevelValue, { name: 'BackupLevel' });
