// The rules "which job holds this tape" and "which job holds this drive", written once in SQL: every
// query that asks (dispatch, tape choice, tape operations, retention, format) builds on these. A job
// holds a tape its spec names: copy 1's `barcode`, any copy's in `tapes` (a backup writing two or
// three tapes at once), or any tape it wrote before continuing on a next one (`spanned`); it holds the drive it runs on and the drives its copies write on. Kept here,
// below the modules, because jobs, tapes and tape operations all ask (and must agree).
import { Prisma } from '@ferrite/db';

/** `alias.column`, or the bare column when the query has one job table without an alias. */
const column = (alias: string, name: string) => Prisma.raw(alias ? `${alias}.${name}` : name);

/** SQL condition: the job row `alias` names the tape `barcode` (a parameter or a column). */
export function jobNamesTape(alias: string, barcode: Prisma.Sql): Prisma.Sql {
  const spec = column(alias, 'spec');
  const named = Prisma.sql`jsonb_build_array(jsonb_build_object('barcode', (${barcode})::text))`;
  return Prisma.sql`(${spec}->>'barcode' = (${barcode})::text OR ${spec}->'tapes' @> ${named} OR ${spec}->'spanned' @> ${named})`;
}

/** SQL condition: the job row `alias` runs on the drive `driveId`, or a copy of its backup writes there. */
export function jobUsesDrive(alias: string, driveId: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(${column(alias, 'drive_id')} = (${driveId})::uuid OR ${column(alias, 'spec')}->'tapes' @> jsonb_build_array(jsonb_build_object('driveId', (${driveId})::text)))`;
}

/** SQL condition: the job is on a drive now (its tapes and drives are in use). */
export function jobIsActive(alias: string): Prisma.Sql {
  return Prisma.sql`${column(alias, 'status')} IN ('ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE')`;
}

/** SQL condition: the job has not ended, or was interrupted: nothing may reuse what it names. */
export function jobIsUnfinished(alias: string): Prisma.Sql {
  return Prisma.sql`${column(alias, 'status')} IN ('QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE', 'INTERRUPTED')`;
}

/**
 * SQL condition: the job may still write the tapes it names: it has not ended, or it is an
 * interrupted backup that will resume on them (one past its last attempt never will). Choosing a
 * tape for a new backup skips those; retention and formatting use the wider jobIsUnfinished.
 */
export function jobMayStillWrite(alias: string): Prisma.Sql {
  const a = (name: string) => column(alias, name);
  return Prisma.sql`(${a('status')} IN ('QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_FOR_TAPE')
    OR (${a('status')} = 'INTERRUPTED' AND ${a('kind')} = 'BACKUP' AND COALESCE(${a('error_code')}, '') <> 'ATTEMPTS_EXHAUSTED'))`;
}
