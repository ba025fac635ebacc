// What a job row keeps in its `spec` JSON (the validated request, everything the agent will need),
// and the translation of that into the AssignJob command the agent receives. Pure functions.
import { AssignJob, IncrementalLevel, JobKind as ProtoJobKind, RestoreItem, RestoreTape } from '@ferrite/proto';
import type { JobKind } from '@ferrite/db';

export const BACKUP_DEFAULTS = {
  smallFileThreshold: 1024 * 1024,
  bundleTargetBytes: 256 * 1024 * 1024,
  checkpointBytes: 1024 * 1024 * 1024,
  checkpointFiles: 5000,
};

export interface FormatJobSpec {
  barcode: string;
  force: boolean;
  pool: string | null;
}

export interface BackupJobSpec {
  /** The tape written; absent until dispatch when the operator named none (tapeChosenAtDispatch). */
  barcode?: string;
  /** The dispatcher chooses the tape (and gives it back if the job is queued again unstarted). */
  tapeChosenAtDispatch?: boolean;
  /**
   * For a pool with copies > 1: every copy's tape and drive (copy 1 = `barcode` on the job's drive),
   * set at assignment. Kept under `tapes` so every "which job holds this tape" check sees them.
   */
  tapes?: BackupCopyTape[];
  paths: string[];
  excludes: string[];
  level: 'FULL' | 'INCREMENTAL';
  pool: string | null;
  host: string;
  /** Absent until the runs exist; the dispatcher does not assign a backup without them. */
  runIds?: string[];
  /** Hash files whose metadata changed to find unchanged content (absent in older specs = false). */
  compareContent?: boolean;
  smallFileThreshold: number;
  bundleTargetBytes: number;
  checkpointBytes: number;
  checkpointFiles: number;
}

export interface BackupCopyTape {
  copy: number;
  barcode: string;
  driveName: string;
  driveId: string;
}

export interface RestoreJobSpec {
  targetDirectory: string;
  stripPrefix: string;
  overwrite: boolean;
  host: string;
  fileCount: number;
  byteCount: number;
  /** The resolved plan, as proto JSON (bytes in base64), in the order the agent reads the tapes. */
  tapes: unknown[];
  metadataItems: unknown[];
}

export interface VerifyJobSpec {
  /** What the operator asked for: one tape, or one run (every copy of what it recorded). */
  barcode: string | null;
  runId: string | null;
  objectCount: number;
  byteCount: number;
  /** The plan, as proto JSON (bytes in base64): tapes in reading order, objects by position. */
  tapes: unknown[];
  /** The tapes carry no objects: the agent reads them from VerifyItems (a verify of a whole tape). */
  streamItems?: boolean;
}

export interface RebuildJobSpec {
  barcode: string;
}

/** Tape-layer jobs. `driveName`, where present, pins the job to that drive of its agent. */
export interface InventoryJobSpec {
  library: string | null;
}

export interface LoadJobSpec {
  barcode: string;
  driveName: string | null;
}

export interface UnloadJobSpec {
  barcode: string;
  driveName: string;
  toSlot: number | null;
}

export interface MoveJobSpec {
  barcode: string;
  fromSlot: number;
  toSlot: number;
}

export interface CheckJobSpec {
  barcode: string;
  repair: boolean;
  rollbackGeneration: number | null;
}

export interface CleanJobSpec {
  driveName: string;
  cleaningBarcode: string;
}

export interface AssignableJob {
  id: string;
  kind: JobKind;
  attempt: number;
  spec: unknown;
}

export function restorePlanToJson(tapes: RestoreTape[], metadataItems: RestoreItem[]): Pick<RestoreJobSpec, 'tapes' | 'metadataItems'> {
  return { tapes: tapes.map((t) => RestoreTape.toJSON(t)), metadataItems: metadataItems.map((i) => RestoreItem.toJSON(i)) };
}

/** The barcodes a job works on, in order (one for format and backup, the plan's for restore). */
export function tapesOfJob(kind: JobKind, spec: unknown): string[] {
  const s = (spec ?? {}) as Partial<FormatJobSpec & BackupJobSpec & RestoreJobSpec>;
  if (kind === 'RESTORE' || kind === 'VERIFY') return (s.tapes ?? []).map((t) => String((t as { barcode?: unknown }).barcode ?? ''));
  if (kind === 'CLEAN') return [(spec as CleanJobSpec).cleaningBarcode].filter(Boolean);
  if (kind === 'BACKUP' && s.tapes?.length) return (s.tapes as BackupCopyTape[]).map((t) => t.barcode);
  return s.barcode ? [s.barcode] : [];
}

/** A backup still waiting for the dispatcher to choose its tape. */
export function tapeToChooseAtDispatch(kind: JobKind, spec: unknown): boolean {
  const s = (spec ?? {}) as Partial<BackupJobSpec>;
  return kind === 'BACKUP' && !s.barcode;
}

/** The drive a job must run on, when the operator (or the operation) names one. */
export function pinnedDriveOfJob(kind: JobKind, spec: unknown): string | null {
  if (kind !== 'LOAD' && kind !== 'UNLOAD' && kind !== 'CLEAN') return null;
  return ((spec ?? {}) as { driveName?: string | null }).driveName ?? null;
}

/** The tape a job needs first: the drive holding it is the one to run on. */
export function firstTapeOfJob(kind: JobKind, spec: unknown): string | null {
  return tapesOfJob(kind, spec)[0] || null;
}

/** The AssignJob command for a job on a drive. Throws on a spec the server itself never writes. */
export function buildAssignJob(job: AssignableJob, driveName: string): AssignJob {
  const base = { jobId: job.id, attempt: job.attempt, driveName };
  switch (job.kind) {
    case 'FORMAT': {
      const s = job.spec as FormatJobSpec;
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_FORMAT, format: { barcode: s.barcode, force: s.force, pool: s.pool ?? '' } });
    }
    case 'BACKUP': {
      const s = job.spec as BackupJobSpec;
      // The dispatcher sets the tape in the same transaction that assigns the job.
      if (!s.barcode) throw new Error(`job ${job.id}: a backup cannot be sent before its tape is chosen`);
      return AssignJob.fromPartial({
        ...base,
        kind: ProtoJobKind.JOB_KIND_BACKUP,
        backup: {
          barcode: s.barcode,
          paths: s.paths,
          excludes: s.excludes,
          smallFileThreshold: s.smallFileThreshold,
          bundleTargetBytes: s.bundleTargetBytes,
          checkpointBytes: s.checkpointBytes,
          checkpointFiles: s.checkpointFiles,
          runId: s.runIds?.[0] ?? '',
          runIds: s.runIds ?? [],
          level: s.level === 'INCREMENTAL' ? IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL : IncrementalLevel.INCREMENTAL_LEVEL_FULL,
          compareContent: s.compareContent ?? false,
          copies: (s.tapes ?? []).filter((t) => t.copy > 1).map((t) => ({ copy: t.copy, barcode: t.barcode, driveName: t.driveName })),
        },
      });
    }
    case 'RESTORE': {
      const s = job.spec as RestoreJobSpec;
      return AssignJob.fromPartial({
        ...base,
        kind: ProtoJobKind.JOB_KIND_RESTORE,
        restore: {
          targetDirectory: s.targetDirectory,
          stripPrefix: s.stripPrefix,
          overwrite: s.overwrite,
          tapes: s.tapes.map((t) => RestoreTape.fromJSON(t)),
          metadataItems: s.metadataItems.map((i) => RestoreItem.fromJSON(i)),
        },
      });
    }
    case 'VERIFY': {
      const s = job.spec as VerifyJobSpec;
      return AssignJob.fromPartial({
        ...base,
        kind: ProtoJobKind.JOB_KIND_VERIFY,
        verify: {
          tapes: s.tapes.map((t) => RestoreTape.fromJSON(t)),
          streamItems: s.streamItems ?? false,
          objectsTotal: s.objectCount,
          bytesTotal: s.byteCount,
        },
      });
    }
    case 'REBUILD':
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_REBUILD, rebuild: { barcode: (job.spec as RebuildJobSpec).barcode } });
    case 'INVENTORY':
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_INVENTORY, inventory: { library: (job.spec as InventoryJobSpec).library ?? '' } });
    case 'LOAD':
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_LOAD, load: { barcode: (job.spec as LoadJobSpec).barcode } });
    case 'UNLOAD': {
      const s = job.spec as UnloadJobSpec;
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_UNLOAD, unload: { barcode: s.barcode, toSlot: s.toSlot ?? 0 } });
    }
    case 'MOVE': {
      const s = job.spec as MoveJobSpec;
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_MOVE, move: { barcode: s.barcode, toSlot: s.toSlot } });
    }
    case 'CHECK': {
      const s = job.spec as CheckJobSpec;
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_CHECK, check: { barcode: s.barcode, repair: s.repair, rollbackGeneration: s.rollbackGeneration ?? 0 } });
    }
    case 'CLEAN':
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_CLEAN, clean: { cleaningBarcode: (job.spec as CleanJobSpec).cleaningBarcode } });
    default:
      throw new Error(`job ${job.id}: the server cannot dispatch ${job.kind} jobs yet`);
  }
}

/** One line an operator can read in a job list. */
export function summarizeJob(kind: JobKind, spec: unknown): string {
  switch (kind) {
    case 'FORMAT': {
      const s = spec as FormatJobSpec;
      return `format ${s.barcode}${s.pool ? ` for pool ${s.pool}` : ''}${s.force ? ' (forced)' : ''}`;
    }
    case 'BACKUP': {
      const s = spec as BackupJobSpec;
      const to = s.tapes && s.tapes.length > 1 ? s.tapes.map((t) => t.barcode).join(' + ') : (s.barcode ?? `a tape${s.pool ? ` of pool ${s.pool}` : ''} chosen when it runs`);
      return `${s.level.toLowerCase()} backup of ${s.paths.join(', ')} on ${s.host} to ${to}`;
    }
    case 'RESTORE': {
      const s = spec as RestoreJobSpec;
      const tapes = tapesOfJob(kind, spec);
      return `restore ${s.fileCount} file(s) from ${s.host} (${tapes.length ? tapes.join(', ') : 'no tape needed'}) to ${s.targetDirectory}`;
    }
    case 'VERIFY': {
      const s = spec as VerifyJobSpec;
      const what = s.runId ? `run ${s.runId}` : `tape ${s.barcode}`;
      return `verify ${what}: ${s.objectCount} object(s), ${s.byteCount} bytes on ${tapesOfJob(kind, spec).join(', ')}`;
    }
    case 'REBUILD':
      return `rebuild the catalog from what tape ${(spec as RebuildJobSpec).barcode} holds`;
    case 'INVENTORY':
      return `inventory of ${(spec as InventoryJobSpec).library ?? 'every library'}`;
    case 'LOAD': {
      const s = spec as LoadJobSpec;
      return `load ${s.barcode}${s.driveName ? ` into ${s.driveName}` : ''}`;
    }
    case 'UNLOAD': {
      const s = spec as UnloadJobSpec;
      return `unload ${s.barcode} from ${s.driveName}${s.toSlot ? ` to slot ${s.toSlot}` : ''}`;
    }
    case 'MOVE': {
      const s = spec as MoveJobSpec;
      return `move ${s.barcode} from slot ${s.fromSlot} to slot ${s.toSlot}`;
    }
    case 'CHECK': {
      const s = spec as CheckJobSpec;
      return `check ${s.barcode}${s.rollbackGeneration ? ` and roll back to index generation ${s.rollbackGeneration}` : s.repair ? ' and repair' : ''}`;
    }
    case 'CLEAN': {
      const s = spec as CleanJobSpec;
      return `clean ${s.driveName} with ${s.cleaningBarcode}`;
    }
    default:
      // Every kind has its line; a kind added to the schema later shows its name until it gets one.
      return String(kind).toLowerCase();
  }
}
