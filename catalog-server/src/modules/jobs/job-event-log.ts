// Helpers the job repositories share inside their transactions: locking a job row, writing a
// server-side line into the job's event log, and giving back a tape the dispatcher chose. Server lines take negative seq numbers, so they never
// collide with the agent's (1, 2, 3, ... per attempt) on the (job, attempt, seq) key.
import { Prisma } from '@ferrite/db';

export type Tx = Prisma.TransactionClient;

/** Row-locks the job for the rest of the transaction; false when it does not exist. */
export async function lockJob(tx: Tx, jobId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM job WHERE id = ${jobId}::uuid FOR UPDATE`;
  return rows.length > 0;
}

/** Appends a server line to the job's log. Call with the job row locked (lockJob). */
export async function appendServerEvent(
  tx: Tx,
  jobId: string,
  attempt: number,
  type: string,
  message: string,
  level: 'info' | 'warn' | 'error' = 'info',
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO job_event (job_id, attempt, seq, type, level, message, at)
    SELECT ${jobId}::uuid, ${attempt}, COALESCE(MIN(seq), 0) - 1, ${type}, ${level}, ${message}, now()
    FROM job_event WHERE job_id = ${jobId}::uuid AND attempt = ${attempt} AND seq < 0`;
}

/** The server-side event type that records an operator's cancel of a job an agent is running. */
export const CANCEL_REQUESTED = 'CANCEL_REQUESTED';

/**
 * SQL for a job's spec with the tapes the dispatcher chose for a backup taken back (it never started
 * on them), so the next dispatch chooses again from what is free then: copy 1's tape when the
 * dispatcher chose it (one the operator named stays), and the further copies' tapes always. A
 * resumed attempt keeps its tapes: they hold what the earlier attempt confirmed.
 */
export const RELEASE_CHOSEN_TAPE = Prisma.sql`CASE WHEN kind = 'BACKUP' AND attempt = 1
  THEN (CASE WHEN spec->>'tapeChosenAtDispatch' = 'true' THEN spec - 'barcode' ELSE spec END) - 'tapes' ELSE spec END`;
