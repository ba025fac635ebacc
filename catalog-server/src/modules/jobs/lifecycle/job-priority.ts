// Queue priorities: higher runs first. Defaults put restores (someone is waiting for their files)
// ahead of formats (quick) ahead of backups; an operator may set any value from 0 to 1000.
import { JobErrors } from './jobs.errors.js';

// A verify runs after the night's backups (it only re-reads what is already safe), unless raised.
export const JOB_PRIORITY = { RESTORE: 100, REBUILD: 50, FORMAT: 50, BACKUP: 10, VERIFY: 5 } as const;
export const MAX_PRIORITY = 1000;

/** The priority to store: the operator's, checked, or the kind's default. */
export function resolvePriority(requested: number | null | undefined, fallback: number): number {
  if (requested === null || requested === undefined) return fallback;
  if (!Number.isInteger(requested) || requested < 0 || requested > MAX_PRIORITY) throw JobErrors.invalidPriority(requested);
  return requested;
}
