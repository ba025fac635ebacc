// The contract between the files module (file index: ingest, search, restore selection, runs) and
// the rest of the server (jobs, agents). Other modules use FilesService through these types only.
import type { FileRecord, RestoreItem, RestoreTape } from '@ferrite/proto';

export interface IngestBatchInput {
  jobId: string;
  attempt: number;
  batchSeq: number;
  /** The agent that sent the batch; must be the agent the job is assigned to. */
  agentId: string;
  records: FileRecord[];
  manifestPath: string;
}

export interface IngestBatchResult {
  /** False when this (job, attempt, batchSeq) was already ingested: nothing was added. */
  accepted: boolean;
  stored: number;
}

/** What to restore. Exactly one of fileIds, runId, or (host + pathPrefix) must be given. */
export interface RestoreSelection {
  fileIds?: string[];
  runId?: string;
  host?: string;
  pathPrefix?: string;
  /** With host + pathPrefix: a run id or an ISO instant; the state at that point is restored. */
  asOf?: string;
}

export interface ResolvedRestore {
  /** Source host of every selected entry (a selection never spans hosts). */
  host: string;
  /** Per tape, items ordered by (partition, startBlock, offset); tapes in the order to read them
   *  (by barcode for now). A file spanning tapes appears once per segment, on each tape's list. */
  tapes: RestoreTape[];
  /** Directories (parents before children), then symlinks and empty files, by path. */
  metadataItems: RestoreItem[];
  /** Regular files selected (empty ones included), each counted once however many segments. */
  fileCount: number;
  /** Total size of those files in bytes. */
  byteCount: number;
  /** The stored plan (RestorePlanStore): the tapes carry no items and metadataItems is empty; the
   *  agent reads them page by page. Absent for a plan held whole in `tapes` and `metadataItems`. */
  planId?: string;
  /** Entries restored (a file spanning tapes counts once), directories and symlinks included. */
  entryCount?: number;
  /** Bytes read from tape (every segment of every file). */
  readBytes?: number;
}

/** What to verify: every object on one tape, or every copy of what one run recorded. */
export interface VerifySelection {
  barcode?: string;
  runId?: string;
}

export interface ResolvedVerify {
  /** Per tape (by barcode), objects in (partition, startBlock, offset) order: whole contents (item
   *  sha256: the content's) and segments of files spanning tapes (item sha256: the segment's). */
  tapes: RestoreTape[];
  objectCount: number;
  byteCount: number;
  /** Segments of files spanning tapes written before segment hashes existed: nothing to compare
   *  with, so not read. */
  partialSegments: number;
  /** The tapes carry no items: the agent reads them page by page (FilesService.verifyItems, or
   *  the stored plan `planId` for a run). */
  streamed: boolean;
  planId?: string;
}

export interface BackupRunsInput {
  jobId: string;
  /** Name the catalog files this backup's entries under (`files(filter: {host})`). Ingest files
   *  every record of the job under this host, whatever the agent is called. */
  host: string;
  /** Absolute source paths of the backup; one run per root. */
  roots: string[];
  level: 'FULL' | 'INCREMENTAL';
}
