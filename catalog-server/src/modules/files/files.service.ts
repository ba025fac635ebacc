// File index logic used by the rest of the server: bulk ingest of agent reports, restore selection,
// and backup-run bookkeeping (delegated to RunsService). Search for operators is FileSearchService.
import { Injectable } from '@nestjs/common';
import type { FileRecord, RestoreItem } from '@ferrite/proto';
import type { IngestBatchInput, IngestBatchResult, ResolvedRestore, ResolvedVerify, RestoreSelection, VerifySelection } from './files.contract.js';
import { FileSearchRepository, latestUnderQuery, runVersionsQuery, type FileVersionRow } from './file-search.repository.js';
import { FilesRepository } from './files.repository.js';
import { FilesErrorCode, filesError } from './files.errors.js';
import { isBigintId, isUuid } from './ids.js';
import { planIngest } from './ingest-plan.js';
import { PointInTimeService } from './point-in-time.service.js';
import { pathProblem, stripTrailingSlashes } from './paths.js';
import { RestorePlanStore } from './restore-plan.store.js';
import type { ReaderScore } from './restore-plan.js';
import { PLAN_PAGE_SIZE, RestorePlanWriter } from './restore-plan.writer.js';
import { TapeAvailabilityRepository } from './tape-availability.repository.js';
import { toVerifyItem, type VerifyPlacementRow } from './verify-plan.js';
import { VerifyPlanRepository } from './verify-plan.repository.js';

const MAX_RESTORE_IDS = 100_000;

/** The versions a restore selected: `pages` reads them (again on each call) a page at a time. */
interface SelectedVersions {
  host: string;
  pages: () => AsyncIterable<FileVersionRow[]>;
  /** Why there is nothing to restore, when the pages hold no version. */
  empty: string;
}

/** An in-memory list as the pages a plan writer reads. */
async function* pagesOf<T>(rows: T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

@Injectable()
export class FilesService {
  constructor(
    private readonly files: FilesRepository,
    private readonly search: FileSearchRepository,
    private readonly pointInTime: PointInTimeService,
    private readonly tapeAvailability: TapeAvailabilityRepository,
    private readonly verifyPlan: VerifyPlanRepository,
    private readonly plans: RestorePlanWriter,
    private readonly planStore: RestorePlanStore,
  ) {}

  /** Stores one batch of file records, idempotently per (jobId, attempt, batchSeq). Throws
   *  FerriteError JOB_NOT_FOUND, JOB_NOT_OWNED (job assigned to another agent), JOB_NOT_BACKUP,
   *  TAPE_NOT_FOUND, INVALID_RECORD (the whole batch is refused, nothing is stored). */
  async ingestBatch(input: IngestBatchInput): Promise<IngestBatchResult> {
    const jobNotFound = () => filesError(FilesErrorCode.JOB_NOT_FOUND, `job ${JSON.stringify(input.jobId)} does not exist`, { jobId: input.jobId });
    if (!isUuid(input.jobId)) throw jobNotFound();
    for (const [field, value] of [
      ['attempt', input.attempt],
      ['batchSeq', input.batchSeq],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw filesError(FilesErrorCode.INVALID_ARGUMENT, `${field} must be a non-negative integer, got ${value}`);
    }
    const records = input.records ?? [];
    return this.files.ingestBatch(
      { jobId: input.jobId, attempt: input.attempt, batchSeq: input.batchSeq, manifestPath: input.manifestPath ?? '', fileCount: records.length },
      (job) => {
        if (!job) throw jobNotFound();
        if (job.agentId !== input.agentId) {
          throw filesError(FilesErrorCode.JOB_NOT_OWNED, `job ${input.jobId} is not assigned to agent ${input.agentId}; its file reports are refused`, {
            jobId: input.jobId,
            agentId: input.agentId,
          });
        }
        if (job.kind !== 'BACKUP') {
          throw filesError(FilesErrorCode.JOB_NOT_BACKUP, `job ${input.jobId} is a ${job.kind} job; only backup jobs report files`, { jobId: input.jobId });
        }
        const plan = planIngest(records, job.runs, input.jobId);
        // createBackupRuns gives all runs of a job one host, so the first run's host is the job's.
        return { hostId: job.runs[0]?.hostId ?? 0, plan };
      },
    );
  }

  /** Turns a selection into the per-tape, position-ordered restore plan for a restore on `agentId`
   *  (copies it can read first). Throws FerriteError INVALID_SELECTION, RUN_NOT_FOUND,
   *  FILE_NOT_FOUND, NOTHING_TO_RESTORE. */
  async resolveRestore(selection: RestoreSelection, agentId: string | null = null): Promise<ResolvedRestore> {
    const selected = await this.select(selection);
    return this.plans.write(selected.host, selected.pages(), selected.empty, agentId);
  }

  /** How much of a selection each agent holds in its library and wrote (agent id to score); the
   *  selection is read through once, so a restore nobody placed goes where its tapes are. */
  async restoreReaders(selection: RestoreSelection): Promise<Map<string, ReaderScore>> {
    return this.plans.readers((await this.select(selection)).pages());
  }

  /** The versions a selection names, as pages to read (as often as needed), and what to say when there are none. */
  private async select(selection: RestoreSelection): Promise<SelectedVersions> {
    const hasIds = selection.fileIds !== undefined && selection.fileIds !== null;
    const hasRun = selection.runId !== undefined && selection.runId !== null;
    const hasHost = selection.host !== undefined && selection.host !== null;
    const hasPrefix = selection.pathPrefix !== undefined && selection.pathPrefix !== null;
    if (selection.asOf !== undefined && selection.asOf !== null && !(hasHost && hasPrefix)) {
      throw filesError(FilesErrorCode.INVALID_SELECTION, 'asOf goes with host and pathPrefix: the state of a directory at a point in time');
    }
    if (Number(hasIds) + Number(hasRun) + Number(hasHost || hasPrefix) !== 1) {
      throw filesError(FilesErrorCode.INVALID_SELECTION, 'select what to restore with exactly one of: fileIds, runId, or host together with pathPrefix');
    }
    if (hasIds) return this.selectIds(selection.fileIds!);
    if (hasRun) return this.selectRun(selection.runId!);
    if (!hasHost || !hasPrefix || !selection.host) {
      throw filesError(FilesErrorCode.INVALID_SELECTION, 'host and pathPrefix select files together: give both');
    }
    return this.selectPrefix(selection.host, selection.pathPrefix!, selection.asOf ?? undefined);
  }

  /** The objects a verify job re-reads: every whole content and every segment with a hash of its
   *  own on the tape, or every such placement (on a tape that is not RETIRED) of the contents the
   *  run's files use; segments without a hash are counted in partialSegments. Throws FerriteError
   *  INVALID_SELECTION, TAPE_NOT_FOUND, RUN_NOT_FOUND, NOTHING_TO_VERIFY. */
  async resolveVerify(selection: VerifySelection): Promise<ResolvedVerify> {
    const hasTape = selection.barcode !== undefined && selection.barcode !== null;
    const hasRun = selection.runId !== undefined && selection.runId !== null;
    if (Number(hasTape) + Number(hasRun) !== 1)
      throw filesError(FilesErrorCode.INVALID_SELECTION, 'select what to verify with exactly one of: tape (a barcode) or runId');
    if (hasTape) {
      const barcode = selection.barcode!;
      const tapeId = await this.search.requireTapeId(barcode);
      // A whole tape can hold millions of objects: counted now, read page by page by the agent.
      const count = await this.verifyPlan.countOnTape(tapeId);
      if (count.objects === 0) throw filesError(FilesErrorCode.NOTHING_TO_VERIFY, `the catalog records no file data on tape ${barcode}`, { barcode });
      return { tapes: [{ barcode, items: [] }], objectCount: count.objects, byteCount: count.bytes, partialSegments: count.partial, streamed: true };
    }
    const runId = selection.runId!;
    if (!isUuid(runId) || (await this.search.runHost(runId)) === undefined)
      throw filesError(FilesErrorCode.RUN_NOT_FOUND, `run ${JSON.stringify(runId)} does not exist`, { runId });
    return this.plans.writeRunVerify(runId, `run ${runId} recorded no file data on a tape that can be read`);
  }

  /** The objects of a tape a verify reads, in tape order, `pageSize` at a time: a whole tape's
   *  straight from its placements, a run's from its stored plan. */
  async *verifyItems(barcode: string, planId?: string, pageSize = 2000): AsyncGenerator<RestoreItem[]> {
    if (planId) {
      yield* this.planStore.pages(planId, barcode, pageSize);
      return;
    }
    const tapeId = await this.search.requireTapeId(barcode);
    let after: VerifyPlacementRow | null = null;
    for (;;) {
      const page = await this.verifyPlan.pageOnTape(tapeId, after, pageSize);
      if (page.length) yield page.map((p) => toVerifyItem(p));
      if (page.length < pageSize) return;
      after = page[page.length - 1];
    }
  }

  /** Throws INVALID_RECORD as ingestBatch would, without writing: for callers that must check a
   *  batch before they write anything else (a rebuild records the job and runs first). */
  checkRecords(records: FileRecord[], runs: Array<{ id: string; root: string }>, jobId: string): void {
    planIngest(records, runs, jobId);
  }

  private async selectIds(fileIds: string[]): Promise<SelectedVersions> {
    if (fileIds.length === 0) throw filesError(FilesErrorCode.INVALID_SELECTION, 'fileIds is empty: select at least one file');
    if (fileIds.length > MAX_RESTORE_IDS) {
      throw filesError(FilesErrorCode.INVALID_SELECTION, `at most ${MAX_RESTORE_IDS} file ids per restore; select a directory (host + pathPrefix) instead`);
    }
    const ids = [...new Set(fileIds)];
    const malformed = ids.filter((id) => !isBigintId(id));
    const rows = malformed.length ? [] : await this.search.versionsByIds(ids);
    const found = new Set(rows.map((r) => r.id));
    const missing = malformed.length ? malformed : ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw filesError(
        FilesErrorCode.FILE_NOT_FOUND,
        `no file version with id ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` (and ${missing.length - 10} more)` : ''}`,
        {
          fileIds: missing,
        },
      );
    }
    const hosts = [...new Set(rows.map((r) => r.host))];
    if (hosts.length > 1) {
      throw filesError(FilesErrorCode.INVALID_SELECTION, `the selected files come from several hosts (${hosts.join(', ')}); restore one host at a time`);
    }
    // A deletion marker has nothing to bring back.
    const live = rows.filter((r) => !r.deleted);
    return { host: hosts[0], pages: () => pagesOf(live, PLAN_PAGE_SIZE), empty: 'the selected file versions are all deletion markers' };
  }

  private async selectRun(runId: string): Promise<SelectedVersions> {
    const host = isUuid(runId) ? await this.search.runHost(runId) : undefined;
    if (host === undefined) throw filesError(FilesErrorCode.RUN_NOT_FOUND, `run ${JSON.stringify(runId)} does not exist`, { runId });
    return { host, pages: () => this.search.versionPages(runVersionsQuery(runId), PLAN_PAGE_SIZE), empty: `run ${runId} archived no files` };
  }

  private async selectPrefix(host: string, pathPrefix: string, asOf: string | undefined): Promise<SelectedVersions> {
    const problem = pathProblem(pathPrefix);
    if (problem) throw filesError(FilesErrorCode.INVALID_SELECTION, `pathPrefix ${JSON.stringify(pathPrefix)}: ${problem}`, { pathPrefix });
    const prefix = stripTrailingSlashes(pathPrefix);
    if (asOf !== undefined) {
      const query = await this.pointInTime.entriesUnderQuery(host, prefix, asOf);
      const empty = `nothing was archived at or under ${JSON.stringify(prefix)} on ${host} as of ${asOf}`;
      return { host, pages: () => this.search.versionPages(query, PLAN_PAGE_SIZE), empty };
    }
    const hostId = await this.search.hostId(host);
    if (hostId === undefined) {
      throw filesError(FilesErrorCode.NOTHING_TO_RESTORE, `host ${JSON.stringify(host)} has nothing in the catalog`, { host });
    }
    const empty = `nothing archived at or under ${JSON.stringify(prefix)} on ${host}`;
    return { host, pages: () => this.search.versionPages(latestUnderQuery(hostId, prefix), PLAN_PAGE_SIZE), empty };
  }

  /** A stored restore plan's entries on one tape ('' for those that need no tape), in tape order. */
  restoreItems(planId: string, barcode: string): AsyncGenerator<RestoreItem[]> {
    return this.planStore.pages(planId, barcode);
  }

  /** A restore plan whose job was never created. */
  discardRestorePlan(planId: string): Promise<void> {
    return this.plans.discard(planId);
  }
}
