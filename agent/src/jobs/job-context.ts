// Everything a job handler gets: its drive (and library, if the drive sits in one), a reporter,
// a cancellation signal and a logger. Handlers never know which backend they drive.
import type { TapeDrive, TapeLibrary } from '../drives/drive.js';
import type { Logger } from '../logger.js';
import type { JobReporter } from './job-reporter.js';
import type { AgentConfig } from '../config/agent-config.js';
import type { BaseSource, RestoreItemsSource, VerifyItemsSource } from '../backup/base-source.js';
import type { TapeStatus, VerifiedTape } from '@ferrite/proto';

export interface JobContext {
  jobId: string;
  attempt: number;
  agentName: string;
  drive: TapeDrive;
  library: TapeLibrary | null;
  reporter: JobReporter;
  signal: AbortSignal;
  log: Logger;
  config: AgentConfig;
  /** Reads a backup root's base run from the server; absent when the job runs without a server. */
  baseSource?: BaseSource;
  /** Reads the objects of one tape of a verify from the server (VerifySpec.stream_items). */
  verifyItems?: VerifyItemsSource;
  /** The entries of a restore whose plan is streamed (RestoreSpec.stream_items), tape by tape. */
  restoreItems?: RestoreItemsSource;
  /** A backup's further copies (copy 2..N of its pool), each in its own drive of this agent. */
  copies?: Array<{ copy: number; barcode: string; drive: TapeDrive; library: TapeLibrary | null }>;
  /**
   * Whether another job of this agent holds drive `driveIndex` of library `libraryName`. A tape a
   * job needs may sit in another drive (a backup's copy left it there); it is taken out only when
   * no job holds that drive. Absent: every other drive counts as busy.
   */
  driveInUse?: (libraryName: string, driveIndex: number) => boolean;
  /**
   * Asks the server for the tape a backup's copy continues on once `full` reached its early-warning
   * zone: the barcode, or why there is none yet (ask again later). Null: the server cannot span
   * (older than NextTape) or there is no server; the backup then stops with TAPE_FULL.
   */
  nextTape?: (copy: number, full: TapeStatus) => Promise<{ barcode: string; waitReason: string } | null>;
  /**
   * A job on a standalone drive (no changer) asks the server to show an operator request for
   * `barcode` in `driveName` (done false), or says it has it (done true). Absent without a server:
   * the job then fails with TAPE_NOT_IN_LIBRARY instead of waiting.
   */
  requestTape?: (barcode: string, driveName: string, done: boolean, note: string) => Promise<void>;
  /** How often a job waiting for an operator looks into its standalone drive (default: config.standalonePollMs). */
  standalonePollMs?: number;
  /** How long to wait before asking again for a next tape when there is none yet. */
  nextTapeRetryMs?: number;
  /** A verify job's result per tape, filled as it goes: sent with the job's last event, failed or not. */
  verifiedTapes?: VerifiedTape[];
  /** Whether the agent acts as root (restores owners, keeps setuid bits); default: whether it runs
   *  as uid 0. Tests set false to see what a restore without root does. */
  asRoot?: boolean;
  /** Tapes this job wrote into their early-warning zone (or to the end of medium): reported full. */
  fullTapes?: Set<string>;
  /** Tests only: points where a test changes source files, so "changed while read" is deterministic. */
  backupHooks?: BackupHooks;
}

export interface BackupHooks {
  /** After the scan and the base comparison, before any file is read. */
  afterPlan?: () => Promise<void> | void;
  /** While a file written as its own object is read: once, after its first chunk (synchronous:
   *  the read goes on as soon as it returns). */
  duringRead?: (path: string) => void;
  /** Before a changed file is read again at the end of the job (after its fresh lstat). */
  beforeReadAgain?: (path: string) => Promise<void> | void;
}

/** A job failure with a stable code, reported to the server as the FAILED event's error_code. */
export class JobError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new JobError('CANCELLED', 'the job was cancelled');
}
