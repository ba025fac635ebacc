// What a job row keeps in its `spec` JSON (the validated request, everything the agent will need),
// and the translation of that into the AssignJob command the agent receives. Pure functions.
import { AssignJob, IncrementalLevel, JobKind as ProtoJobKind, OnChange, RestoreItem, RestoreTape } from '@ferrite/proto';
import type { JobKind } from '@ferrite/db';
import { z } from 'zod';
import { FerriteError } from '../../../common/errors.js';

export const BACKUP_DEFAULTS = {
  smallFileThreshold: 1024 * 1024,
  bundleTargetBytes: 256 * 1024 * 1024,
  checkpointBytes: 1024 * 1024 * 1024,
  checkpointFiles: 5000,
};

// One schema per job kind. A spec is parsed where it is read from the database (parseJobSpec),
// never cast: a row that does not match its kind's schema (written by hand, or by a server version
// that wrote it differently) is refused with INVALID_JOB_SPEC naming the field, not a TypeError.
// Loose objects: fields a schema does not name are kept (a later version may add some).
const barcode = z.string().min(1);
const nullableString = z.string().nullable();
/** A plan (proto JSON of RestoreTape / RestoreItem) can be large: its entries are decoded by the
 *  proto codec when the command is built, so the schema only checks that it is a list. */
const planList = z.custom<unknown[]>((v) => Array.isArray(v), 'expected a list');

export const FormatJobSpec = z.looseObject({ barcode, force: z.boolean(), pool: nullableString });
export type FormatJobSpec = z.infer<typeof FormatJobSpec>;

export const BackupCopyTape = z.looseObject({ copy: z.number().int().min(1), barcode, driveName: z.string(), driveId: z.string() });
export type BackupCopyTape = z.infer<typeof BackupCopyTape>;

export const BackupJobSpec = z.looseObject({
  /** The tape written; absent until dispatch when the operator named none (tapeChosenAtDispatch). */
  barcode: barcode.optional(),
  /** The dispatcher chooses the tape (and gives it back if the job is queued again unstarted). */
  tapeChosenAtDispatch: z.boolean().optional(),
  /**
   * For a pool with copies > 1: every copy's tape and drive (copy 1 = `barcode` on the job's drive),
   * set at assignment. Kept under `tapes` so every "which job holds this tape" check sees them.
   */
  tapes: z.array(BackupCopyTape).optional(),
  paths: z.array(z.string()),
  excludes: z.array(z.string()),
  level: z.enum(['FULL', 'INCREMENTAL']),
  pool: nullableString,
  host: z.string(),
  /** Absent until the runs exist; the dispatcher does not assign a backup without them. */
  runIds: z.array(z.string()).optional(),
  /** Hash files whose metadata changed to find unchanged content (absent in older specs = false). */
  compareContent: z.boolean().optional(),
  /** A file that changed while it was read (absent in older specs = RETRY, the agent's default). */
  onChange: z.enum(['RETRY', 'FLAG', 'FAIL']).optional(),
  smallFileThreshold: z.number(),
  bundleTargetBytes: z.number(),
  checkpointBytes: z.number(),
  checkpointFiles: z.number(),
  /** A backup job the catalog learned from a tape (rebuildCatalog): the barcode it was read from. */
  rebuiltFrom: z.string().optional(),
  /**
   * Every tape the backup has written, in order, once it has continued on a next tape (NextTape):
   * the first tape of each copy, then each next one as it was taken. `barcode` and `tapes` always
   * name the tape each copy writes now (where a resumed attempt goes on).
   */
  spanned: z.array(z.looseObject({ copy: z.number().int().min(1), barcode })).optional(),
});
export type BackupJobSpec = z.infer<typeof BackupJobSpec>;

export const RestoreJobSpec = z.looseObject({
  targetDirectory: z.string(),
  stripPrefix: z.string(),
  overwrite: z.boolean(),
  host: z.string(),
  fileCount: z.number(),
  byteCount: z.number(),
  /** The resolved plan, as proto JSON (bytes in base64), in the order the agent reads the tapes. */
  tapes: planList,
  metadataItems: planList,
  /** The stored plan (job_plan): the tapes carry no items, the agent reads them from RestoreItems. */
  planId: z.string().optional(),
  /** Entries restored and bytes read from tape, for progress (a stored plan). */
  entryCount: z.number().optional(),
  readBytes: z.number().optional(),
});
export type RestoreJobSpec = z.infer<typeof RestoreJobSpec>;

export const VerifyJobSpec = z.looseObject({
  /** What the operator asked for: one tape, or one run (every copy of what it recorded). */
  barcode: nullableString,
  runId: nullableString,
  objectCount: z.number(),
  byteCount: z.number(),
  /** The plan, as proto JSON (bytes in base64): tapes in reading order, objects by position. */
  tapes: planList,
  /** The tapes carry no objects: the agent reads them from VerifyItems (a whole tape from its
   *  placements, a run from its stored plan `planId`). */
  streamItems: z.boolean().optional(),
  planId: z.string().optional(),
});
export type VerifyJobSpec = z.infer<typeof VerifyJobSpec>;

export const RebuildJobSpec = z.looseObject({ barcode });
export type RebuildJobSpec = z.infer<typeof RebuildJobSpec>;

/** Tape-layer jobs. `driveName`, where present, pins the job to that drive of its agent. */
export const InventoryJobSpec = z.looseObject({ library: nullableString });
export type InventoryJobSpec = z.infer<typeof InventoryJobSpec>;

export const LoadJobSpec = z.looseObject({ barcode, driveName: nullableString });
export type LoadJobSpec = z.infer<typeof LoadJobSpec>;

export const UnloadJobSpec = z.looseObject({ barcode, driveName: z.string(), toSlot: z.number().int().nullable() });
export type UnloadJobSpec = z.infer<typeof UnloadJobSpec>;

export const MoveJobSpec = z.looseObject({ barcode, fromSlot: z.number().int(), toSlot: z.number().int() });
export type MoveJobSpec = z.infer<typeof MoveJobSpec>;

export const CheckJobSpec = z.looseObject({ barcode, repair: z.boolean(), rollbackGeneration: z.number().int().nullable() });
export type CheckJobSpec = z.infer<typeof CheckJobSpec>;

export const CleanJobSpec = z.looseObject({ driveName: z.string(), cleaningBarcode: barcode });
export type CleanJobSpec = z.infer<typeof CleanJobSpec>;

const SCHEMAS = {
  FORMAT: FormatJobSpec,
  BACKUP: BackupJobSpec,
  RESTORE: RestoreJobSpec,
  VERIFY: VerifyJobSpec,
  REBUILD: RebuildJobSpec,
  INVENTORY: InventoryJobSpec,
  LOAD: LoadJobSpec,
  UNLOAD: UnloadJobSpec,
  MOVE: MoveJobSpec,
  CHECK: CheckJobSpec,
  CLEAN: CleanJobSpec,
} satisfies Record<JobKind, z.ZodType>;

/** The spec type of each job kind. */
export type JobSpecOf = { [K in JobKind]: z.infer<(typeof SCHEMAS)[K]> };

/** A job's spec, checked against its kind's schema. Throws INVALID_JOB_SPEC naming what is wrong. */
export function parseJobSpec<K extends JobKind>(kind: K, spec: unknown, jobId = ''): JobSpecOf[K] {
  const result = SCHEMAS[kind].safeParse(spec);
  if (result.success) return result.data as JobSpecOf[K];
  const issue = result.error.issues[0];
  const where = issue.path.length ? issue.path.join('.') : 'the spec';
  throw new FerriteError(
    'INVALID_JOB_SPEC',
    `${jobId ? `job ${jobId}: ` : ''}the stored ${kind.toLowerCase()} job spec is not valid (${where}: ${issue.message}); cancel the job and start it again`,
    { jobId, kind, field: where },
  );
}

/** parseJobSpec, or null where the spec is not valid (for lists, which must show every job). */
export function tryParseJobSpec<K extends JobKind>(kind: K, spec: unknown): JobSpecOf[K] | null {
  const result = SCHEMAS[kind].safeParse(spec);
  return result.success ? (result.data as JobSpecOf[K]) : null;
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

/** The barcodes a job works on, in order (one for format and backup, the plan's for restore). An
 *  invalid spec works on none (it cannot run; the job shows INVALID_JOB_SPEC when dispatched). */
export function tapesOfJob(kind: JobKind, spec: unknown): string[] {
  switch (kind) {
    case 'RESTORE':
    case 'VERIFY':
      return (tryParseJobSpec(kind, spec)?.tapes ?? []).map((t) => barcodeOfPlanTape(t));
    case 'CLEAN':
      return [tryParseJobSpec(kind, spec)?.cleaningBarcode ?? ''].filter(Boolean);
    case 'BACKUP': {
      const s = tryParseJobSpec(kind, spec);
      if (s?.tapes?.length) return s.tapes.map((t) => t.barcode);
      return s?.barcode ? [s.barcode] : [];
    }
    case 'INVENTORY':
      return [];
    default: {
      const s = tryParseJobSpec(kind, spec);
      return s && 'barcode' in s && s.barcode ? [s.barcode] : [];
    }
  }
}

/** Every tape a job has used or uses, in order: a backup that continued on next tapes lists them all. */
export function tapesUsedByJob(kind: JobKind, spec: unknown): string[] {
  const spanned = kind === 'BACKUP' ? tryParseJobSpec(kind, spec)?.spanned : undefined;
  return spanned?.length ? spanned.map((t) => t.barcode) : tapesOfJob(kind, spec);
}

/** The tape copy `copy` of a backup writes now (copy 1: `barcode`; others: `tapes`), if any. */
export function currentTapeOfCopy(spec: BackupJobSpec, copy: number): string | null {
  if (copy === 1) return spec.barcode ?? null;
  return spec.tapes?.find((t) => t.copy === copy)?.barcode ?? null;
}

/** The spec after copy `copy` moved from its current tape to `next`: every tape used stays listed in `spanned`. */
export function specOnNextTape(spec: BackupJobSpec, copy: number, next: string): BackupJobSpec {
  const first = [
    ...(spec.barcode ? [{ copy: 1, barcode: spec.barcode }] : []),
    ...(spec.tapes ?? []).filter((t) => t.copy > 1).map((t) => ({ copy: t.copy, barcode: t.barcode })),
  ];
  const spanned = [...(spec.spanned ?? first), { copy, barcode: next }];
  const tapes = spec.tapes?.map((t) => (t.copy === copy ? { ...t, barcode: next } : t));
  return { ...spec, ...(copy === 1 ? { barcode: next } : {}), ...(tapes ? { tapes } : {}), spanned };
}

/** A plan tape's barcode (proto JSON of RestoreTape), '' when it has none. */
function barcodeOfPlanTape(t: unknown): string {
  const barcode = (t as { barcode?: unknown } | null)?.barcode;
  return typeof barcode === 'string' ? barcode : '';
}

/** A backup still waiting for the dispatcher to choose its tape. */
export function tapeToChooseAtDispatch(kind: JobKind, spec: unknown): boolean {
  return kind === 'BACKUP' && !tryParseJobSpec(kind, spec)?.barcode;
}

/** The drive a job must run on, when the operator (or the operation) names one. */
export function pinnedDriveOfJob(kind: JobKind, spec: unknown): string | null {
  if (kind !== 'LOAD' && kind !== 'UNLOAD' && kind !== 'CLEAN') return null;
  return tryParseJobSpec(kind, spec)?.driveName ?? null;
}

/** The tape a job needs first: the drive holding it is the one to run on. */
export function firstTapeOfJob(kind: JobKind, spec: unknown): string | null {
  return tapesOfJob(kind, spec)[0] || null;
}

/** The AssignJob command for a job on a drive. Throws INVALID_JOB_SPEC on a spec that does not
 *  match its kind's schema. */
export function buildAssignJob(job: AssignableJob, driveName: string): AssignJob {
  const base = { jobId: job.id, attempt: job.attempt, driveName };
  switch (job.kind) {
    case 'FORMAT': {
      const s = parseJobSpec(job.kind, job.spec, job.id);
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_FORMAT, format: { barcode: s.barcode, force: s.force, pool: s.pool ?? '' } });
    }
    case 'BACKUP':
      return backupAssignment(job, parseJobSpec(job.kind, job.spec, job.id), base);
    case 'RESTORE': {
      const s = parseJobSpec(job.kind, job.spec, job.id);
      return AssignJob.fromPartial({
        ...base,
        kind: ProtoJobKind.JOB_KIND_RESTORE,
        restore: {
          targetDirectory: s.targetDirectory,
          stripPrefix: s.stripPrefix,
          overwrite: s.overwrite,
          tapes: s.tapes.map((t) => RestoreTape.fromJSON(t)),
          metadataItems: s.metadataItems.map((i) => RestoreItem.fromJSON(i)),
          streamItems: s.planId !== undefined,
          entriesTotal: s.entryCount ?? 0,
          bytesTotal: s.readBytes ?? 0,
        },
      });
    }
    case 'VERIFY': {
      const s = parseJobSpec(job.kind, job.spec, job.id);
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
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_REBUILD, rebuild: { barcode: parseJobSpec(job.kind, job.spec, job.id).barcode } });
    case 'INVENTORY':
      return AssignJob.fromPartial({
        ...base,
        kind: ProtoJobKind.JOB_KIND_INVENTORY,
        inventory: { library: parseJobSpec(job.kind, job.spec, job.id).library ?? '' },
      });
    case 'LOAD':
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_LOAD, load: { barcode: parseJobSpec(job.kind, job.spec, job.id).barcode } });
    case 'UNLOAD': {
      const s = parseJobSpec(job.kind, job.spec, job.id);
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_UNLOAD, unload: { barcode: s.barcode, toSlot: s.toSlot ?? 0 } });
    }
    case 'MOVE': {
      const s = parseJobSpec(job.kind, job.spec, job.id);
      return AssignJob.fromPartial({ ...base, kind: ProtoJobKind.JOB_KIND_MOVE, move: { barcode: s.barcode, toSlot: s.toSlot } });
    }
    case 'CHECK': {
      const s = parseJobSpec(job.kind, job.spec, job.id);
      return AssignJob.fromPartial({
        ...base,
        kind: ProtoJobKind.JOB_KIND_CHECK,
        check: { barcode: s.barcode, repair: s.repair, rollbackGeneration: s.rollbackGeneration ?? 0 },
      });
    }
    case 'CLEAN':
      return AssignJob.fromPartial({
        ...base,
        kind: ProtoJobKind.JOB_KIND_CLEAN,
        clean: { cleaningBarcode: parseJobSpec(job.kind, job.spec, job.id).cleaningBarcode },
      });
    default:
      throw new Error(`job ${job.id}: the server cannot dispatch ${String(job.kind)} jobs yet`);
  }
}

const ON_CHANGE = { RETRY: OnChange.ON_CHANGE_RETRY, FLAG: OnChange.ON_CHANGE_FLAG, FAIL: OnChange.ON_CHANGE_FAIL } as const;

/** A backup's AssignJob: its tape(s), sources, packing and checkpoint settings, runs and level. */
function backupAssignment(job: AssignableJob, s: BackupJobSpec, base: { jobId: string; attempt: number; driveName: string }): AssignJob {
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
      onChange: ON_CHANGE[s.onChange ?? 'RETRY'],
      copies: (s.tapes ?? []).filter((t) => t.copy > 1).map((t) => ({ copy: t.copy, barcode: t.barcode, driveName: t.driveName })),
    },
  });
}

/** One line an operator can read in a job list (every job has one, an invalid spec too). */
export function summarizeJob(kind: JobKind, spec: unknown): string {
  return summaryOf(kind, spec) ?? `${kind.toLowerCase()} job whose stored spec is not valid`;
}

function summaryOf(kind: JobKind, spec: unknown): string | null {
  switch (kind) {
    case 'FORMAT': {
      const s = tryParseJobSpec(kind, spec);
      return s && `format ${s.barcode}${s.pool ? ` for pool ${s.pool}` : ''}${s.force ? ' (forced)' : ''}`;
    }
    case 'BACKUP': {
      const s = tryParseJobSpec(kind, spec);
      if (!s) return null;
      const to =
        s.tapes && s.tapes.length > 1
          ? s.tapes.map((t) => t.barcode).join(' + ')
          : (s.barcode ?? `a tape${s.pool ? ` of pool ${s.pool}` : ''} chosen when it runs`);
      return `${s.level.toLowerCase()} backup of ${s.paths.join(', ')} on ${s.host} to ${to}`;
    }
    case 'RESTORE': {
      const s = tryParseJobSpec(kind, spec);
      if (!s) return null;
      const tapes = tapesOfJob(kind, spec);
      return `restore ${s.fileCount} file(s) from ${s.host} (${tapes.length ? tapes.join(', ') : 'no tape needed'}) to ${s.targetDirectory}`;
    }
    case 'VERIFY': {
      const s = tryParseJobSpec(kind, spec);
      if (!s) return null;
      const what = s.runId ? `run ${s.runId}` : `tape ${s.barcode}`;
      return `verify ${what}: ${s.objectCount} object(s), ${s.byteCount} bytes on ${tapesOfJob(kind, spec).join(', ')}`;
    }
    case 'REBUILD': {
      const s = tryParseJobSpec(kind, spec);
      return s && `rebuild the catalog from what tape ${s.barcode} holds`;
    }
    case 'INVENTORY': {
      const s = tryParseJobSpec(kind, spec);
      return s && `inventory of ${s.library ?? 'every library'}`;
    }
    case 'LOAD': {
      const s = tryParseJobSpec(kind, spec);
      return s && `load ${s.barcode}${s.driveName ? ` into ${s.driveName}` : ''}`;
    }
    case 'UNLOAD': {
      const s = tryParseJobSpec(kind, spec);
      return s && `unload ${s.barcode} from ${s.driveName}${s.toSlot ? ` to slot ${s.toSlot}` : ''}`;
    }
    case 'MOVE': {
      const s = tryParseJobSpec(kind, spec);
      return s && `move ${s.barcode} from slot ${s.fromSlot} to slot ${s.toSlot}`;
    }
    case 'CHECK': {
      const s = tryParseJobSpec(kind, spec);
      return s && `check ${s.barcode}${s.rollbackGeneration ? ` and roll back to index generation ${s.rollbackGeneration}` : s.repair ? ' and repair' : ''}`;
    }
    case 'CLEAN': {
      const s = tryParseJobSpec(kind, spec);
      return s && `clean ${s.driveName} with ${s.cleaningBarcode}`;
    }
    default:
      // Every kind has its line; a kind added to the schema later shows its name until it gets one.
      return String(kind).toLowerCase();
  }
}
