// File index logic: bulk ingest of agent reports, search, restore selection, backup runs.
import { Injectable } from '@nestjs/common';
import type {
  BackupRunsInput,
  IngestBatchInput,
  IngestBatchResult,
  ResolvedRestore,
  RestoreSelection,
} from './files.contract.js';

@Injectable()
export class FilesService {
  /** Stores one batch of file records, idempotently per (jobId, attempt, batchSeq). Throws
   *  FerriteError JOB_NOT_FOUND, JOB_NOT_OWNED (job assigned to another agent), TAPE_NOT_FOUND. */
  async ingestBatch(_input: IngestBatchInput): Promise<IngestBatchResult> {
    throw new Error('FilesService.ingestBatch: not implemented yet');
  }

  /** Turns a selection into the per-tape, position-ordered restore plan. Throws FerriteError
   *  INVALID_SELECTION, RUN_NOT_FOUND, FILE_NOT_FOUND, NOTHING_TO_RESTORE. */
  async resolveRestore(_selection: RestoreSelection): Promise<ResolvedRestore> {
    throw new Error('FilesService.resolveRestore: not implemented yet');
  }

  /** Creates one Run per root for a backup job; returns run ids in the order of roots. */
  async createBackupRuns(_input: BackupRunsInput): Promise<string[]> {
    throw new Error('FilesService.createBackupRuns: not implemented yet');
  }

  /** Marks the job's runs finished and updates their counts. */
  async finishBackupRuns(_jobId: string): Promise<void> {
    throw new Error('FilesService.finishBackupRuns: not implemented yet');
  }
}
