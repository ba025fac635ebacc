// When an INTERRUPTED backup is resumed, and what its log says. The agent that ran it is back (it
// beats again and does not list the job), so the job is queued again as the next attempt; that
// attempt skips what earlier attempts confirmed (see files/incremental-base.service.ts) and writes
// the rest into its own directory on tape. Pure, so the rules are unit-tested without a database.

/** Attempts a backup gets in all. A job that kills its agent every time (a file that crashes the
 *  reader, a drive that hangs the machine) must not loop forever: after this it stays INTERRUPTED. */
export const MAX_BACKUP_ATTEMPTS = 5;

/** The last checkpoint the catalog confirmed for a job: its newest ingested batch. */
export interface LastCheckpoint {
  attempt: number;
  batchSeq: number;
  manifest: string;
  /** Entries confirmed over all attempts so far. */
  confirmedEntries: number;
}

export function canResume(attempt: number): boolean {
  return attempt < MAX_BACKUP_ATTEMPTS;
}

/** The RESUMED line of the job log: which attempt runs next, and from which checkpoint. */
export function resumeMessage(nextAttempt: number, last: LastCheckpoint | null): string {
  if (!last) return `the agent is back: queued again as attempt ${nextAttempt}; no checkpoint was confirmed, so it starts from the beginning`;
  const where = last.manifest ? ` (${last.manifest})` : '';
  return (
    `the agent is back: queued again as attempt ${nextAttempt}, resuming from checkpoint ${last.batchSeq} of attempt ${last.attempt}${where}; ` +
    `${last.confirmedEntries} confirmed entries are not written again`
  );
}

/** Why a backup that could be resumed stays INTERRUPTED. */
export function giveUpMessage(attempt: number): string {
  return `not resumed: ${attempt} attempts were interrupted (at most ${MAX_BACKUP_ATTEMPTS}); start a new backup`;
}
