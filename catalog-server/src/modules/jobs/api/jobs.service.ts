// What operators ask of jobs: format a tape, back up, restore, verify, cancel; and the job queries.
// Each request is validated completely before a row is written, so bad input changes nothing.
import { Inject, Injectable } from '@nestjs/common';
import type { RestoreItem } from '@ferrite/proto';
import { isUuid } from '../../../common/ids.js';
import { LOGGER, type Logger } from '../../../common/logger.js';
import { SERVER_CONFIG, type ServerConfig } from '../../../config/config.js';
import { decodeCursor, encodeCursor, pageSize, type ConnectionShape, type PageArgs } from '../../../common/pagination.js';
import { AgentErrors } from '../../agents/agents.errors.js';
import { AgentsService } from '../../agents/agents.service.js';
import type { ResolvedRestore } from '../../files/files.contract.js';
import { FilesService } from '../../files/files.service.js';
import { RunsService } from '../../runs/runs.service.js';
import type { AgentRow } from '../../agents/agents.repository.js';
import { libraryToAskFor, OperatorRequestsService } from '../../operator-requests/operator-requests.service.js';
import { JobsWaitingService } from '../lifecycle/jobs-waiting.service.js';
import { PoolsService } from '../../tapes/pools.service.js';
import { isCleaningBarcode } from '../../tapes/tape-generations.js';
import { TapesService } from '../../tapes/tapes.service.js';
import type { TapeRow } from '../../tapes/tapes.repository.js';
import { chooseBackupTapes } from '../dispatch/backup-tape-choice.js';
import { CommandRouter } from '../dispatch/command-router.js';
import { chooseRestoreAgent } from '../dispatch/restore-agent-choice.js';
import { jobLogLines } from '../events/job-log-export.js';
import { JOB_PRIORITY, resolvePriority } from '../lifecycle/job-priority.js';
import { DispatcherService } from '../dispatch/dispatcher.service.js';
import type { JobFilterInput, RebuildCatalogInput, StartBackupInput, StartRestoreInput, StartVerifyInput } from './dto/job-inputs.js';
import {
  BACKUP_DEFAULTS,
  parseJobSpec,
  restorePlanToJson,
  tapesOfJob,
  type BackupJobSpec,
  type FormatJobSpec,
  type RebuildJobSpec,
  type RestoreJobSpec,
  type VerifyJobSpec,
} from '../lifecycle/job-spec.js';
import { toJobEventModel, toJobModel } from '../lifecycle/job.mapper.js';
import { JobUpdatesPubSub } from '../lifecycle/job-updates.pubsub.js';
import {
  checkAgentFormats,
  checkAgentWritesCopies,
  formatAgentId,
  formatBlockReason,
  isEligibleForPool,
  normalizeSourcePaths,
  readerAgentId,
  validateExcludes,
  validateRestoreTarget,
} from '../lifecycle/job-validation.js';
import { JobErrors } from '../lifecycle/jobs.errors.js';
import { JobLifecycleService } from '../lifecycle/job-lifecycle.service.js';
import { JobLogRepository } from '../lifecycle/job-log.repository.js';
import { JobsRepository, type JobRow, type NewJob } from '../lifecycle/jobs.repository.js';
import type { JobEventModel, JobModel } from '../lifecycle/models/job.model.js';

const isJobCursor = (v: unknown): v is { t: string; id: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { t?: unknown }).t === 'string' &&
  !Number.isNaN(Date.parse((v as { t: string }).t)) &&
  isUuid((v as { id?: unknown }).id);

@Injectable()
export class JobsService {
  private readonly log: Logger;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly jobLog: JobLogRepository,
    private readonly lifecycle: JobLifecycleService,
    private readonly agents: AgentsService,
    private readonly tapes: TapesService,
    private readonly pools: PoolsService,
    private readonly files: FilesService,
    private readonly runs: RunsService,
    private readonly dispatcher: DispatcherService,
    private readonly router: CommandRouter,
    private readonly updates: JobUpdatesPubSub,
    private readonly requests: OperatorRequestsService,
    private readonly waiting: JobsWaitingService,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'jobs' });
  }

  async findById(id: string): Promise<JobModel | null> {
    if (!isUuid(id)) return null;
    const row = await this.jobs.findById(id);
    return row ? toJobModel(row) : null;
  }

  async list(filter: JobFilterInput | null | undefined, page: PageArgs): Promise<ConnectionShape<JobModel>> {
    const size = pageSize(page.first);
    const after = page.after ? decodeCursor(page.after, isJobCursor) : null;
    const { rows, total } = await this.jobs.list(
      { statuses: filter?.status ?? undefined, kinds: filter?.kind ?? undefined, agentName: filter?.agent ?? undefined },
      after ? { createdAt: new Date(after.t), id: after.id } : null,
      size + 1,
    );
    const edges = rows.slice(0, size).map((r) => ({ node: toJobModel(r), cursor: encodeCursor({ t: r.createdAt.toISOString(), id: r.id }) }));
    return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: total };
  }

  async events(jobId: string, includeProgress: boolean, limit: number): Promise<JobEventModel[]> {
    const capped = Math.min(Math.max(1, limit), 10_000);
    return (await this.jobLog.events(jobId, includeProgress, capped)).map(toJobEventModel);
  }

  async failedFiles(jobId: string, limit: number): Promise<JobEventModel[]> {
    const capped = Math.min(Math.max(1, limit), 10_000);
    return (await this.jobLog.failedFiles(jobId, capped)).map(toJobEventModel);
  }

  async logJsonl(jobId: string): Promise<string> {
    const lines: string[] = [];
    for await (const line of jobLogLines(this.jobLog, jobId)) lines.push(line);
    return lines.join('');
  }

  async formatTape(barcode: string, force: boolean, poolName: string | null | undefined, agentName?: string | null): Promise<JobModel> {
    const tape = await this.tapes.getByBarcode(barcode);
    if (tape.cleaning || isCleaningBarcode(barcode)) throw JobErrors.cleaningCartridge(barcode);
    if (tape.state === 'RETIRED') throw JobErrors.tapeRetired(barcode);
    const named = agentName ? await this.agents.getByName(agentName) : null;
    const agentId = formatAgentId(barcode, tape.agentId, named, tape.lastAgentId);
    const formatter = named ?? (await this.agents.findById(agentId));
    if (formatter) checkAgentFormats(force, formatter);
    if (tape.writeProtected) throw JobErrors.tapeWriteProtected(barcode);
    if (tape.worm && tape.formattedAt) throw JobErrors.tapeIsWorm(barcode);
    const pool = poolName ? await this.pools.getByName(poolName) : null;
    if (pool?.generation && tape.generation && pool.generation !== tape.generation) {
      throw JobErrors.tapeGenerationMismatch(barcode, tape.generation, pool.name, pool.generation);
    }
    const pending = await this.jobs.unfinishedJobOnTape(barcode);
    if (pending) throw JobErrors.tapeBusy(barcode, pending);
    if (!force) {
      const reason = formatBlockReason({
        state: tape.state,
        formatted: tape.formattedAt !== null,
        usedBytes: Number(tape.usedBytes),
        hasPlacements: await this.tapes.hasPlacements(tape.id),
      });
      if (reason) throw JobErrors.tapeNotEmpty(barcode, reason);
    }
    const spec: FormatJobSpec = { barcode, force, pool: pool?.name ?? null };
    const newJob = { kind: 'FORMAT' as const, agentId, priority: JOB_PRIORITY.FORMAT, spec };
    if (!tape.agentId) {
      // The last holder may have been removed since (its id then names no agent).
      if (!formatter) throw JobErrors.tapeAgentUnknown(barcode);
      // At standalone drives the format asks the operator itself: a new cartridge has no volume the
      // agent could name it by, so the catalog would never see it arrive; the job takes the blank
      // cartridge inserted for its request.
      if (await this.agents.standaloneDrivesToAskFor(formatter.id)) return this.created((await this.jobs.create(newJob)).job);
      return this.created(await this.waitForTapes(newJob, [barcode], formatter));
    }
    const { job } = await this.jobs.create(newJob);
    return this.created(job);
  }

  async startBackup(input: StartBackupInput): Promise<JobModel> {
    const key = input.idempotencyKey?.trim() || null;
    if (key) {
      const existing = await this.jobs.findByIdempotencyKey(key);
      if (existing) {
        if (existing.kind !== 'BACKUP') throw JobErrors.idempotencyConflict(key, existing.kind);
        return toJobModel(existing);
      }
    }
    const priority = resolvePriority(input.priority, JOB_PRIORITY.BACKUP);
    const agent = await this.agents.getByName(input.agent);
    const paths = normalizeSourcePaths(input.paths);
    const excludes = validateExcludes(input.excludes ?? []);
    const pool = input.pool ? await this.pools.getByName(input.pool) : null;
    // Refused rather than left queued for ever when this agent can never write the pool's copies.
    if (pool && pool.copies > 1) checkAgentWritesCopies(agent.name, pool, await this.agents.drivesOf(agent.id));
    const named = input.tape ? await this.checkBackupTape(input.tape, agent.id, agent.name, pool) : null;
    const level = input.level ?? 'FULL';
    // With no tape named, the dispatcher chooses one when the job can run (and leases it then), so a
    // backup with no writable tape yet waits QUEUED with the reason instead of being refused.
    const tapeSpec = named ? { barcode: named.barcode } : { tapeChosenAtDispatch: true };
    const spec: BackupJobSpec = {
      ...tapeSpec,
      paths,
      excludes,
      level,
      pool: pool?.name ?? null,
      host: agent.name,
      compareContent: input.compareContent ?? false,
      onChange: input.onChange ?? 'RETRY',
      ...BACKUP_DEFAULTS,
    };
    const queueReason = named ? null : await this.noTapeYet(agent, pool);
    const newJob = { kind: 'BACKUP' as const, agentId: agent.id, priority, spec, idempotencyKey: key, queueReason };
    // A named tape in no library is asked for in the source agent's library; the job waits for it.
    const onShelf = named !== null && named.agentId === null;
    const { job, created } = onShelf ? { job: await this.waitForTapes(newJob, [named.barcode], agent), created: true } : await this.jobs.create(newJob);
    if (!created) return toJobModel(job);
    try {
      const runIds = await this.runs.createBackupRuns({ jobId: job.id, host: agent.name, roots: paths, level });
      await this.jobs.updateSpec(job.id, { ...spec, runIds });
    } catch (err) {
      // Without its runs the backup cannot record files: take the job back rather than leave a husk.
      await this.requests
        .discardForJob(job.id)
        .then(() => this.jobs.delete(job.id))
        .catch((e: unknown) => this.log.error({ err: e, job: job.id }, 'could not remove a half-created backup job'));
      throw err;
    }
    return this.created((await this.jobs.findById(job.id))!);
  }

  async startRestore(input: StartRestoreInput): Promise<JobModel> {
    const priority = resolvePriority(input.priority, JOB_PRIORITY.RESTORE);
    const agent = input.agent ? await this.agents.getByName(input.agent) : await this.restoreAgent(input.selection);
    const target = validateRestoreTarget(input.targetDirectory, agent.allowedRestoreRoots, agent.name);
    const plan = await this.files.resolveRestore(input.selection, agent.id);
    try {
      return await this.createRestore(input, agent, target, priority, plan);
    } catch (err) {
      // Refused after its plan was stored: the plan goes (the sweep would take it within the hour).
      if (plan.planId) await this.files.discardRestorePlan(plan.planId).catch(() => undefined);
      throw err;
    }
  }

  /** The agent a restore nobody placed runs on (chooseRestoreAgent's rules); the selection is read
   *  once more for it, so naming the agent saves a pass over a very large one. */
  private async restoreAgent(selection: StartRestoreInput['selection']): Promise<AgentRow> {
    const [agents, scores] = await Promise.all([this.agents.all(), this.files.restoreReaders(selection)]);
    const chosen = chooseRestoreAgent(agents, scores);
    if (!chosen) throw AgentErrors.noneRegistered();
    const agent = agents.find((a) => a.id === chosen.id)!;
    this.log.info({ agent: agent.name, ...scores.get(agent.id) }, 'restore placed on the agent holding the most of its copies');
    return agent;
  }

  private async createRestore(input: StartRestoreInput, agent: AgentRow, target: string, priority: number, plan: ResolvedRestore): Promise<JobModel> {
    const barcodes = plan.tapes.map((t) => t.barcode);
    const rows = await this.tapes.findByBarcodes(barcodes);
    const here = new Set(rows.filter((t) => t.agentId === agent.id).map((t) => t.barcode));
    const missing = barcodes.filter((b) => !here.has(b));
    // A tape in another agent's library is refused; one in no library (shelf, offsite) is asked for.
    const elsewhere = rows.filter((t) => missing.includes(t.barcode) && t.agentId !== null).map((t) => t.barcode);
    if (elsewhere.length) throw JobErrors.tapeNotInLibrary(elsewhere, agent.name);
    const spec: RestoreJobSpec = {
      targetDirectory: target,
      stripPrefix: input.stripPrefix ?? '',
      overwrite: input.overwrite ?? false,
      host: plan.host,
      fileCount: plan.fileCount,
      byteCount: plan.byteCount,
      ...restorePlanToJson(plan.tapes, plan.metadataItems),
      ...(plan.planId ? { planId: plan.planId, entryCount: plan.entryCount, readBytes: plan.readBytes } : {}),
    };
    const progress = {
      bytesDone: 0,
      bytesTotal: plan.byteCount,
      filesDone: 0,
      filesTotal: plan.fileCount,
      currentFile: '',
      currentTape: '',
      at: new Date().toISOString(),
    };
    const newJob = { kind: 'RESTORE' as const, agentId: agent.id, priority, spec, progress };
    if (missing.length) return this.created(await this.waitForTapes(newJob, missing, agent));
    const { job } = await this.jobs.create(newJob);
    return this.created(job);
  }

  /** Re-read a tape's objects, or every copy of a run's, and compare them with the catalog. */
  async startVerify(input: StartVerifyInput): Promise<JobModel> {
    const priority = resolvePriority(input.priority, JOB_PRIORITY.VERIFY);
    const named = input.agent ? await this.agents.getByName(input.agent) : null;
    const plan = await this.files.resolveVerify({ barcode: input.tape ?? undefined, runId: input.runId ?? undefined });
    const rows = await this.tapes.findByBarcodes(plan.tapes.map((t) => t.barcode));
    const spec: VerifyJobSpec = {
      barcode: input.tape ?? null,
      runId: input.runId ?? null,
      objectCount: plan.objectCount,
      byteCount: plan.byteCount,
      tapes: restorePlanToJson(plan.tapes, []).tapes,
      streamItems: plan.streamed,
      ...(plan.planId ? { planId: plan.planId } : {}),
    };
    const progress = {
      bytesDone: 0,
      bytesTotal: plan.byteCount,
      filesDone: 0,
      filesTotal: plan.objectCount,
      currentFile: '',
      currentTape: '',
      at: new Date().toISOString(),
    };
    if (plan.partialSegments) {
      this.log.info(
        { segments: plan.partialSegments },
        'verify leaves out segments of files spanning tapes written before segment hashes existed (nothing to compare with)',
      );
    }
    try {
      return await this.createReadingJob({ kind: 'VERIFY', priority, spec, progress }, rows, named);
    } catch (err) {
      if (plan.planId) await this.files.discardRestorePlan(plan.planId).catch(() => undefined);
      throw err;
    }
  }

  /** Read a tape's manifests back into the catalog (see RebuildService). */
  async rebuildCatalog(input: RebuildCatalogInput): Promise<JobModel> {
    const tape = await this.tapes.getByBarcode(input.tape);
    if (tape.reformatPending) throw JobErrors.tapeAwaitingReformat(tape.barcode);
    const named = input.agent ? await this.agents.getByName(input.agent) : null;
    const spec: RebuildJobSpec = { barcode: tape.barcode };
    return this.createReadingJob({ kind: 'REBUILD', priority: JOB_PRIORITY.REBUILD, spec }, [tape], named);
  }

  /**
   * A job that reads `tapes` (verify, rebuild) on the agent `readerAgentId` chooses; tapes in no
   * library are asked for in that agent's library and the job waits for them.
   */
  private async createReadingJob(job: Omit<NewJob, 'agentId'>, tapes: TapeRow[], named: AgentRow | null): Promise<JobModel> {
    const cleaning = tapes.find((t) => t.cleaning);
    if (cleaning) throw JobErrors.cleaningCartridge(cleaning.barcode);
    const agentId = readerAgentId(
      tapes.map((t) => ({ barcode: t.barcode, agentId: t.agentId, agentName: t.agent?.name ?? null, lastAgentId: t.lastAgentId })),
      named,
    );
    // The last holder may have been removed since (its id then names no agent).
    const agent = named ?? (await this.agents.findById(agentId));
    if (!agent) throw JobErrors.tapeAgentUnknown(tapes[0].barcode);
    const newJob = { ...job, agentId: agent.id };
    const missing = tapes.filter((t) => t.agentId === null).map((t) => t.barcode);
    if (missing.length) return this.created(await this.waitForTapes(newJob, missing, agent));
    const { job: row } = await this.jobs.create(newJob);
    return this.created(row);
  }

  /** One rebuild job per formatted tape in the agent's library, in barcode order (recycled tapes
   *  awaiting their format hold only expired runs: left out). */
  async rebuildCatalogFromLibrary(agentName: string): Promise<JobModel[]> {
    const agent = await this.agents.getByName(agentName);
    const tapes = (await this.tapes.listFormattedInLibrary(agent.id)).filter((t) => !t.reformatPending);
    if (tapes.length === 0) throw JobErrors.noTapesToRebuild(agent.name);
    const jobs: JobModel[] = [];
    for (const tape of tapes) jobs.push(await this.rebuildCatalog({ tape: tape.barcode, agent: agent.name }));
    return jobs;
  }

  async cancel(id: string, agentReachable = true): Promise<JobModel> {
    if (!isUuid(id)) throw JobErrors.notFound(id);
    const before = await this.jobs.findById(id);
    if (!before) throw JobErrors.notFound(id);
    // Asked before the row is locked: reachability is a database read of its own.
    const reachable = agentReachable && before.agentId !== null && (await this.router.isReachable(before.agentId));
    const result = await this.lifecycle.cancel(id, 'cancelled by an operator', () => reachable);
    if (result.outcome === 'not-found') throw JobErrors.notFound(id);
    if (result.outcome === 'finished') throw JobErrors.alreadyFinished(id, result.job.status);
    if (result.outcome === 'requested') {
      const sent = await this.router.cancel(result.job.agentId!, id, 'cancelled by an operator');
      // The stream closed between the check and the send: nobody can be told, so end it here.
      if (!sent) return this.cancel(id, false);
      this.log.info({ job: id }, 'cancel sent to the agent');
    } else {
      this.log.info({ job: id }, 'job cancelled');
      this.dispatcher.kick();
    }
    const model = toJobModel(result.job);
    await this.updates.publish(model);
    return model;
  }

  /** Moves a queued job up or down the queue. */
  async setPriority(id: string, priority: number): Promise<JobModel> {
    if (!isUuid(id)) throw JobErrors.notFound(id);
    const value = resolvePriority(priority, 0);
    const result = await this.jobs.setPriority(id, value);
    if (!result) throw JobErrors.notFound(id);
    if (result.status !== 'QUEUED') throw JobErrors.notQueued(id, result.status);
    this.log.info({ job: id, priority: value }, 'job priority changed');
    await this.updates.publish(result);
    this.dispatcher.kick();
    return toJobModel(result);
  }

  /** The objects of one tape of a running verify job, page by page, for the agent reading them. */
  async *verifyItems(jobId: string, agentId: string, attempt: number, barcode: string): AsyncGenerator<RestoreItem[]> {
    const job = await this.currentAttemptOf(jobId, agentId, attempt);
    const spec = job.kind === 'VERIFY' ? parseJobSpec(job.kind, job.spec, job.id) : null;
    if (!spec?.streamItems || !tapesOfJob(job.kind, job.spec).includes(barcode)) {
      throw JobErrors.invalidEvent(`job ${jobId} does not read tape ${barcode} page by page`, { jobId, barcode });
    }
    yield* this.files.verifyItems(barcode, spec.planId);
  }

  /** The entries of one tape of a running restore ('' for those that need no tape), page by page, in tape order. */
  async *restoreItems(jobId: string, agentId: string, attempt: number, barcode: string): AsyncGenerator<RestoreItem[]> {
    const job = await this.currentAttemptOf(jobId, agentId, attempt);
    const spec = job.kind === 'RESTORE' ? parseJobSpec(job.kind, job.spec, job.id) : null;
    if (!spec?.planId || (barcode !== '' && !tapesOfJob(job.kind, job.spec).includes(barcode))) {
      throw JobErrors.invalidEvent(`job ${jobId} does not read tape ${JSON.stringify(barcode)} page by page`, { jobId, barcode });
    }
    yield* this.files.restoreItems(spec.planId, barcode);
  }

  /** Rejects a report for a job that does not exist or is not the agent's. */
  async assertOwnedBy(jobId: string, agentId: string): Promise<void> {
    await this.ownedBy(jobId, agentId);
  }

  /** The job an agent reports on, refused unless it is the agent's and this is its current attempt. */
  async currentAttemptOf(jobId: string, agentId: string, attempt: number): Promise<JobRow> {
    const job = await this.ownedBy(jobId, agentId);
    if (job.attempt !== attempt) throw JobErrors.staleAttempt(jobId, attempt, job.attempt);
    return job;
  }

  private async ownedBy(jobId: string, agentId: string): Promise<JobRow> {
    const job = isUuid(jobId) ? await this.jobs.findById(jobId) : null;
    if (!job) throw JobErrors.notFound(jobId);
    if (job.agentId !== agentId) throw JobErrors.notOwned(jobId, agentId);
    return job;
  }

  private created(job: JobRow): JobModel {
    this.log.info({ job: job.id, kind: job.kind, agentId: job.agentId }, 'job created');
    this.dispatcher.kick();
    return toJobModel(job);
  }

  /** The job, QUEUED behind one operator request per tape: insert it into the agent's library. */
  private async waitForTapes(job: NewJob, barcodes: string[], agent: AgentRow): Promise<JobRow> {
    const library = libraryToAskFor(null, await this.agents.changerNamesOf(agent.id));
    const drive = library ? null : await this.agents.standaloneDrivesToAskFor(agent.id);
    return this.waiting.createJobWaitingForTapes(job, { barcodes, agentId: agent.id, agentName: agent.name, hostname: agent.hostname, library, drive });
  }

  /** The tape a backup names, if it may take the backup now or once inserted (it is in no library). */
  async checkBackupTape(
    barcode: string,
    agentId: string,
    agentName: string,
    pool: { id: string; name: string; scratchPoolId: string | null } | null,
  ): Promise<TapeRow> {
    const tape = await this.tapes.getByBarcode(barcode);
    if (tape.agentId !== null && tape.agentId !== agentId) throw JobErrors.tapeNotInLibrary([barcode], agentName);
    if (tape.writeProtected) throw JobErrors.tapeWriteProtected(barcode);
    if (!tape.formattedAt) throw JobErrors.tapeNotFormatted(barcode);
    if (tape.reformatPending) throw JobErrors.tapeAwaitingReformat(barcode);
    if (tape.state !== 'SCRATCH' && tape.state !== 'ACTIVE') throw JobErrors.tapeNotWritable(barcode, tape.state);
    // The same rule as a tape the dispatcher chooses: a scratch tape of the pool's scratch pool joins the pool.
    if (pool && tape.pool && !isEligibleForPool({ state: tape.state, poolId: tape.pool.id }, pool.id, pool.scratchPoolId)) {
      throw JobErrors.tapePoolMismatch(barcode, tape.pool.name, pool.name);
    }
    return tape;
  }

  /**
   * Why a backup without a named tape cannot start now (no eligible tape in the library at all), for
   * the job's first queue reason; null when there is one. Leases are the dispatcher's business: it
   * re-checks on every pass and keeps the reason current.
   */
  private async noTapeYet(agent: AgentRow, pool: { id: string; name: string; scratchPoolId: string | null; copies: number } | null): Promise<string | null> {
    const tapes = (await this.tapes.listWritableInLibrary(agent.id)).map((t) => ({
      barcode: t.barcode,
      state: t.state,
      capacityBytes: Number(t.capacityBytes),
      usedBytes: Number(t.usedBytes),
      poolId: t.poolId,
      heldBy: null,
    }));
    const choice = chooseBackupTapes(tapes, {
      agentName: agent.name,
      pool,
      copies: pool?.copies ?? 1,
      minFreePercent: this.config.tapeMinFreePercent,
    });
    return 'reason' in choice ? choice.reason : null;
  }
}
