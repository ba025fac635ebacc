// Backup runs: created when a backup job starts (one per source root), finished with their counts
// when it ends, and listed for operators.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';
import { inTransaction } from '../../database/transaction.js';
import { RunLevel } from '@ferrite/db';
import { decodeCursor, encodeCursor, queryHash } from '../files/cursor.js';
import { checkPageSize } from '../files/file-query.js';
import type { BackupRunsInput } from '../files/files.contract.js';
import { FilesErrorCode, filesError } from '../files/files.errors.js';
import { isBigintId, isUuid } from '../files/ids.js';
import { toFileVersionModel } from '../files/models/file-version.model.js';
import { joinPath, normalizePath } from '../files/paths.js';
import { RunChangeConnection } from './models/run-change.model.js';
import { RunChangesRepository, type ChangeKind, type RunBase } from './run-changes.repository.js';
import { toRunModel, type RunConnection, type RunModel } from './models/run.model.js';
import { RunsRepository } from './runs.repository.js';

const DEFAULT_CHANGE_KINDS: ChangeKind[] = ['ADDED', 'DELETED', 'MODIFIED'];
/** No run is excluded from a plan's base (a plan has no run of its own). */
const NO_RUN = '00000000-0000-0000-0000-000000000000';

export interface PlanBase {
  /** Null when the host was never backed up (then there is no base). */
  hostId: number | null;
  root: string;
  requestedLevel: 'FULL' | 'INCREMENTAL';
  level: 'FULL' | 'INCREMENTAL';
  baseRunId: string | null;
  dedup: { poolId: string; copies: number } | null;
}

@Injectable()
export class RunsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: RunsRepository,
    private readonly changesRepo: RunChangesRepository,
  ) {}

  async createBackupRuns(input: BackupRunsInput): Promise<string[]> {
    if (!isUuid(input.jobId)) throw filesError(FilesErrorCode.JOB_NOT_FOUND, `job ${JSON.stringify(input.jobId)} does not exist`, { jobId: input.jobId });
    if (!input.host) throw filesError(FilesErrorCode.INVALID_ARGUMENT, 'a backup run needs the host name');
    if (!input.roots?.length) throw filesError(FilesErrorCode.INVALID_ARGUMENT, 'a backup needs at least one source path');
    if (input.level !== RunLevel.FULL && input.level !== RunLevel.INCREMENTAL) {
      throw filesError(FilesErrorCode.INVALID_ARGUMENT, `unknown backup level ${JSON.stringify(input.level)}`);
    }
    const roots = input.roots.map((r) => normalizePath(r, 'backup path'));
    return this.repo.createRuns(input.jobId, input.host, roots, input.level);
  }

  /** See RunsRepository.restoreRuns. */
  restoreBackupRuns(
    jobId: string,
    host: string,
    runs: Array<{ id: string; root: string; level: 'FULL' | 'INCREMENTAL'; baseRunId: string | null; startedAt: Date }>,
  ): Promise<void> {
    return this.repo.restoreRuns(jobId, host, runs);
  }

  /** A job's runs with their roots; empty for a job without runs. */
  rootsOfJob(jobId: string): Promise<Array<{ id: string; root: string }>> {
    return this.repo.rootsOfJob(jobId);
  }

  /** `finishedAt`: now, unless the job is known from a tape only (then the time the tape records). */
  async finishBackupRuns(jobId: string, finishedAt?: Date): Promise<void> {
    if (!isUuid(jobId)) throw filesError(FilesErrorCode.JOB_NOT_FOUND, `job ${JSON.stringify(jobId)} does not exist`, { jobId });
    // Counted one run at a time: each is classified against its own base.
    for (const runId of await this.repo.runIdsOfJob(jobId)) {
      await this.repo.finishRun(runId, await this.changesRepo.countRun(runId), finishedAt);
    }
  }

  /**
   * The base a backup of `host` and `root` would compare with if it started now (a plan: no job, no
   * run, nothing written): the latest successful run of that host and root, as resolveBase chooses.
   */
  async resolvePlanBase(host: string, rawRoot: string, requestedLevel: 'FULL' | 'INCREMENTAL', pool: string | null): Promise<PlanBase> {
    const root = normalizePath(rawRoot, 'backup path');
    return inTransaction(this.prisma, 'choosing the base of a plan', async (tx) => {
      const hostId = await this.repo.hostIdOf(tx, host);
      const baseRunId = hostId === null ? null : await this.repo.latestFinished(tx, hostId, root, NO_RUN);
      const dedup = pool ? await this.repo.dedupOfPool(tx, pool) : null;
      const level: 'FULL' | 'INCREMENTAL' = baseRunId === null ? 'FULL' : requestedLevel;
      return { hostId, root, requestedLevel, level, baseRunId, dedup };
    });
  }

  /**
   * The run of `jobId` for `root`, with its base chosen: the latest successful run of the same host
   * and root. Chosen once (a retried attempt compares with the same base); an INCREMENTAL with no
   * base becomes FULL. RUN_NOT_FOUND when the job has no run for that root.
   */
  async resolveBase(jobId: string, rawRoot: string): Promise<RunBase> {
    if (!isUuid(jobId)) throw filesError(FilesErrorCode.JOB_NOT_FOUND, `job ${JSON.stringify(jobId)} does not exist`, { jobId });
    const root = normalizePath(rawRoot, 'backup path');
    return inTransaction(this.prisma, 'choosing the base run', async (tx) => {
      const run = await this.repo.lockRunOfJob(tx, jobId, root);
      if (!run) throw filesError(FilesErrorCode.RUN_NOT_FOUND, `job ${jobId} has no run for ${JSON.stringify(root)}`, { jobId, root });
      let { baseRunId, level } = run;
      if (baseRunId === null) {
        baseRunId = await this.repo.latestFinished(tx, run.hostId, root, run.runId);
        if (baseRunId === null) level = 'FULL';
        await this.repo.setBase(tx, run.runId, baseRunId, level);
      }
      const dedup = run.pool ? await this.repo.dedupOfPool(tx, run.pool) : null;
      const requestedLevel = run.requestedLevel === 'INCREMENTAL' ? 'INCREMENTAL' : 'FULL';
      return { runId: run.runId, hostId: run.hostId, root, requestedLevel, level, baseRunId, dedup };
    });
  }

  /** What a run added, modified and deleted (or any kinds asked for), by version id. */
  async runChanges(
    runId: string,
    kinds: readonly string[] | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<RunChangeConnection> {
    const limit = checkPageSize(first);
    if (!isUuid(runId) || !(await this.repo.findRun(runId)))
      throw filesError(FilesErrorCode.RUN_NOT_FOUND, `run ${JSON.stringify(runId)} does not exist`, { runId });
    const wanted = kinds?.length ? ([...new Set(kinds)].sort() as ChangeKind[]) : DEFAULT_CHANGE_KINDS;
    const hash = queryHash({ runChanges: { runId, kinds: wanted } });
    let afterId: string | undefined;
    if (after !== null && after !== undefined) {
      const [id] = decodeCursor(after, hash, 1);
      if (!isBigintId(id)) throw filesError(FilesErrorCode.INVALID_CURSOR, 'the cursor is not one this server issued');
      afterId = id;
    }
    const rows = await this.changesRepo.changes(runId, wanted, afterId, limit + 1);
    const edges = rows.slice(0, limit).map((r) => ({
      cursor: encodeCursor([r.version.id], hash),
      node: { kind: r.kind, path: joinPath(r.version.dirPath, r.version.name), version: toFileVersionModel(r.version, []) },
    }));
    return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  async run(id: string): Promise<RunModel | null> {
    if (!isUuid(id)) return null;
    const row = await this.repo.findRun(id);
    return row ? toRunModel(row) : null;
  }

  async runs(host: string | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<RunConnection> {
    const limit = checkPageSize(first);
    const hash = queryHash({ runs: { host: host ?? null } });
    let key: { startedAt: Date; id: string } | undefined;
    if (after !== null && after !== undefined) {
      const [startedAt, id] = decodeCursor(after, hash, 2);
      const at = new Date(String(startedAt));
      if (Number.isNaN(at.getTime()) || !isUuid(id)) throw filesError(FilesErrorCode.INVALID_CURSOR, 'the cursor is not one this server issued');
      key = { startedAt: at, id };
    }
    if (host !== null && host !== undefined && !(await this.repo.hostExists(host))) {
      throw filesError(FilesErrorCode.HOST_NOT_FOUND, `host ${JSON.stringify(host)} has nothing in the catalog`, { host });
    }
    const [rows, totalCount] = await Promise.all([this.repo.listRuns(host ?? undefined, key, limit + 1), this.repo.countRuns(host ?? undefined)]);
    const edges = rows.slice(0, limit).map((row) => ({
      cursor: encodeCursor([row.startedAt.toISOString(), row.id], hash),
      node: toRunModel(row),
    }));
    return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null }, totalCount };
  }
}
