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
  WAITING_FOR_TAPE = 'WAITING_FOR_TAPE',
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
    'WAITING_FOR_TAPE: a backup that filled its tape and has no next one; it holds its drive and goes on when a tape arrives (see queueReason and the open operator request). ' +
    'SUCCEEDED, FAILED, CANCELLED: ended. INTERRUPTED: the agent went away mid-job.',
});
registerEnumType(BackupLevelValue, { name: 'BackupLevel' });

/** What a backup does with a file that changed while it was read (proto OnChange). */
export enum OnChangeValue {
  RETRY = 'RETRY',
  FLAG = 'FLAG',
  FAIL = 'FAIL',
}

registerEnumType(OnChangeValue, {
  name: 'OnChange',
  description:
    'What a backup does with a file that changed while it was read (a second lstat after the read differs from the scan in size, mtime, ctime, inode or device). ' +
    'RETRY (default): read it once more at the end of the job; if it changed again, record it as read with changedDuringBackup. ' +
    'FLAG: record it as read with changedDuringBackup. ' +
    'FAIL: like FLAG, everything else is still saved, then the job ends FAILED with FILES_CHANGED naming the files.',
});
