// What a backup does with a file that changed while it was read (BackupSpec.on_change):
//   RETRY (the default): the read is not recorded; the file is read once more at the end of the job
//     (after a fresh lstat, so its record describes it as it is then) and, if it changed again,
//     recorded as read with changed_during_backup.
//   FLAG: recorded as read, flagged.
//   FAIL: flagged like FLAG; everything else is still saved and confirmed, then the job ends FAILED
//     with FILES_CHANGED naming the files (as a restore ends RESTORE_INCOMPLETE after doing all it could).
// The decisions are pure (unit-tested); the job writes and logs.
import { OnChange } from '@ferrite/proto';
import { JobError } from './job-context.js';

/** Paths named in the FILES_CHANGED message; the job log names every one. */
const NAMED_IN_MESSAGE = 5;

export type ChangedAction = 'retry' | 'flag';

export class ChangedFiles<T extends { path: string }> {
  /** Files to read again at the end of the job (RETRY), in the order they were met. */
  private readonly retries: T[] = [];
  /** Files recorded flagged, in order. */
  readonly flagged: string[] = [];
  readonly mode: OnChange;

  constructor(mode: OnChange | undefined) {
    // Unspecified (older servers, tests): RETRY.
    this.mode = mode === OnChange.ON_CHANGE_FLAG || mode === OnChange.ON_CHANGE_FAIL ? mode : OnChange.ON_CHANGE_RETRY;
  }

  /** A read of `entry` that changed: read it again later, or record it flagged. `final`: this was
   *  the read again (RETRY's only one), whose change is recorded, never retried. */
  onChanged(entry: T, final: boolean): ChangedAction {
    if (this.mode === OnChange.ON_CHANGE_RETRY && !final) {
      this.retries.push(entry);
      return 'retry';
    }
    this.flagged.push(entry.path);
    return 'flag';
  }

  /** A read that could not finish because the file shrank under it (a sparse file's extent is
   *  gone): nothing was read to record or flag, so only RETRY has something to do. Whether it will
   *  read it again. */
  onShrunk(entry: T): boolean {
    if (this.mode !== OnChange.ON_CHANGE_RETRY) return false;
    this.retries.push(entry);
    return true;
  }

  /** The files to read again, once: the list is handed over and emptied. */
  takeRetries(): T[] {
    return this.retries.splice(0);
  }

  /** What the job log says of a changed file, by what is done with it. */
  static noteOf(path: string, why: string, action: ChangedAction): string {
    return action === 'retry'
      ? `${path}: changed while it was read (${why}); it is read again at the end of the job`
      : `${path}: changed while it was read (${why}); saved as read and flagged changedDuringBackup`;
  }

  /** FAIL with flagged files: the job's error once everything else is saved; null otherwise. */
  failure(): JobError | null {
    if (this.mode !== OnChange.ON_CHANGE_FAIL || this.flagged.length === 0) return null;
    const named = this.flagged.slice(0, NAMED_IN_MESSAGE).map((p) => JSON.stringify(p));
    const more = this.flagged.length > named.length ? `, and ${this.flagged.length - named.length} more (see the job log)` : '';
    const n = this.flagged.length;
    return new JobError(
      'FILES_CHANGED',
      `${n} file${n > 1 ? 's' : ''} changed while ${n > 1 ? 'they were' : 'it was'} read (saved as read and flagged; onChange FAIL): ${named.join(', ')}${more}`,
    );
  }
}
