// planBackup: what startBackup with the same input would do, without doing any of it. The input is
// checked exactly as startBackup checks it; the agent scans the sources and compares them with
// their base (read-only, no drive, no tape: PlanRequestsService); the catalog adds the pool's
// copies and generation and the writable tapes in reach (TapesInReachService). Nothing is written: no job, no run, no operator request.
import { Inject, Injectable } from '@nestjs/common';
import { IncrementalLevel, type ReportPlanRequest } from '@ferrite/proto';
import { FerriteError } from '../../../common/errors.js';
import { DEFAULT_PLAN_TIMEOUT_MS, SERVER_CONFIG, type ServerConfig } from '../../../config/config.js';
import { AgentErrors } from '../../agents/agents.errors.js';
import { AgentsService } from '../../agents/agents.service.js';
import { PoolsService } from '../../tapes/pools.service.js';
import { estimatedSeconds, nativeRateBytesPerSecond } from '../dispatch/backup-tape-need.js';
import { PlanRequestsService } from '../dispatch/plan-requests.service.js';
import { TapesInReachService, type TapeNeed } from '../dispatch/tapes-in-reach.service.js';
import { checkAgentWritesCopies, normalizeSourcePaths, validateExcludes } from '../lifecycle/job-validation.js';
import { BackupLevelValue } from '../lifecycle/models/job-enums.js';
import type { BackupPlanModel } from './backup-plan.model.js';
import type { StartBackupInput } from './dto/job-inputs.js';
import { JobsService } from './jobs.service.js';

/** The command travels on the cluster bus when another replica holds the agent's stream (NOTIFY's limit). */
const MAX_SOURCE_TEXT_BYTES = 6000;
const AGENT_CODES = new Set(['BACKUP_PATH_NOT_FOUND', 'PLAN_TIMEOUT', 'PLAN_FAILED'] as const);

type PlanErrorCode = 'BACKUP_PATH_NOT_FOUND' | 'PLAN_TIMEOUT' | 'PLAN_FAILED';

const toLevel = (l: IncrementalLevel): BackupLevelValue =>
  l === IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL ? BackupLevelValue.INCREMENTAL : BackupLevelValue.FULL;

@Injectable()
export class BackupPlanService {
  constructor(
    private readonly agents: AgentsService,
    private readonly pools: PoolsService,
    private readonly jobs: JobsService,
    private readonly plans: PlanRequestsService,
    private readonly tapesInReach: TapesInReachService,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  async planBackup(input: StartBackupInput): Promise<BackupPlanModel> {
    // The same checks as startBackup, in the same order, so a plan refuses what a backup would.
    const agent = await this.agents.getByName(input.agent);
    const paths = normalizeSourcePaths(input.paths);
    const excludes = validateExcludes(input.excludes ?? []);
    if (Buffer.byteLength(JSON.stringify([paths, excludes])) > MAX_SOURCE_TEXT_BYTES) {
      throw new FerriteError('INVALID_ARGUMENT', `the paths and excludes of a plan may take at most ${MAX_SOURCE_TEXT_BYTES} bytes together`, {});
    }
    const pool = input.pool ? await this.pools.getByName(input.pool) : null;
    const drives = await this.agents.drivesOf(agent.id);
    if (pool && pool.copies > 1) checkAgentWritesCopies(agent.name, pool, drives);
    if (input.tape) await this.jobs.checkBackupTape(input.tape, agent.id, agent.name, pool);
    const level = input.level ?? BackupLevelValue.FULL;
    if (!agent.online) throw AgentErrors.offline(agent.name);

    const outcome = await this.plans.ask(
      agent.id,
      {
        paths,
        excludes,
        level: level === BackupLevelValue.INCREMENTAL ? IncrementalLevel.INCREMENTAL_LEVEL_INCREMENTAL : IncrementalLevel.INCREMENTAL_LEVEL_FULL,
        compareContent: input.compareContent ?? false,
        pool: pool?.name ?? '',
      },
      this.config.planTimeoutMs ?? DEFAULT_PLAN_TIMEOUT_MS,
    );
    if ('unreachable' in outcome) throw AgentErrors.offline(agent.name);
    if ('timedOut' in outcome) {
      throw new FerriteError('PLAN_TIMEOUT', `agent ${agent.name} did not answer the plan in time; plan fewer paths, or raise FERRITE_PLAN_TIMEOUT_MS`, {
        agent: agent.name,
      });
    }
    const answer = outcome.answer;
    if (answer.errorCode) {
      const code: PlanErrorCode = AGENT_CODES.has(answer.errorCode as PlanErrorCode) ? (answer.errorCode as PlanErrorCode) : 'PLAN_FAILED';
      throw new FerriteError(code, `agent ${agent.name}: ${answer.errorMessage || answer.errorCode}`, { agent: agent.name });
    }

    const need = await this.tapesInReach.need(agent, pool?.name ?? null, answer.writeBytes);
    return buildPlanModel({ agent: agent.name, level, pool: pool?.name ?? null, need, answer });
  }
}

export interface PlanFacts {
  agent: string;
  level: BackupLevelValue;
  pool: string | null;
  need: TapeNeed;
  answer: ReportPlanRequest;
}

/** The answer as operators read it: the agent's counts with tapes, duration and warnings. Pure. */
export function buildPlanModel(f: PlanFacts): BackupPlanModel {
  const a = f.answer;
  const n = f.need;
  const rate = nativeRateBytesPerSecond(n.generation);
  const roots = a.roots.map((r) => ({ path: r.root, level: toLevel(r.level), baseRunId: r.baseRunId || null, note: r.note || null }));
  const warnings: string[] = [];
  if (n.shortage) warnings.push(n.shortage);
  if (f.level === BackupLevelValue.INCREMENTAL) {
    for (const r of roots)
      if (r.level === BackupLevelValue.FULL) warnings.push(`no earlier successful backup of ${r.path}: this INCREMENTAL would run as a FULL backup`);
  }
  if (a.issues > 0) warnings.push(`${a.issues} entr${a.issues === 1 ? 'y' : 'ies'} could not be read and would be skipped (see the agent's log)`);
  if (n.usableBytesPerTape === null)
    warnings.push('no LTO generation is known for this backup (no pool generation, no drive): tapes and duration are not estimated');
  return {
    agent: f.agent,
    level: f.level,
    pool: f.pool,
    files: a.files,
    directories: a.directories,
    symlinks: a.symlinks,
    bytes: a.bytes,
    writeFiles: a.writeFiles,
    writeBytes: a.writeBytes,
    unchangedEntries: a.unchangedEntries,
    unchangedBytes: a.unchangedBytes,
    byReferenceFiles: a.byReferenceFiles,
    byReferenceBytes: a.byReferenceBytes,
    deleted: a.deleted,
    unreadable: a.issues,
    roots,
    generation: n.generation,
    copies: n.copies,
    tapeCapacityBytes: n.tapeCapacityBytes,
    usableBytesPerTape: n.usableBytesPerTape,
    tapesNeededPerCopy: n.tapesPerCopy,
    tapesNeeded: n.tapesPerCopy * n.copies,
    tapesAvailable: n.available,
    nativeRateBytesPerSecond: rate,
    estimatedSeconds: estimatedSeconds(a.writeBytes, rate),
    warnings,
  };
}
