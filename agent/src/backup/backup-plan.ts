// A backup plan (the server's PlanBackup command, GraphQL planBackup): the same scan and the same
// comparison with the base as a backup (source-scan.ts, run-plan.ts), stopped there. Nothing is
// written, no tape or drive is touched; the answer is counts. The server turns them into tapes,
// scratch tapes available and a duration (it knows pools and tapes; the agent does not).
import { IncrementalLevel, type PlanBackup, type ReportPlanRequest } from '@ferrite/proto';
import type { BaseSource } from './base-source.js';
import { planRun, type RunPlan } from './run-plan.js';
import { scanSources, SourceNotFoundError, type SourceEntry } from './source-scan.js';

/** The answer's counts (ReportPlanRequest without the request's identity and error). */
export type PlanCounts = Omit<ReportPlanRequest, 'agentId' | 'requestId' | 'errorCode' | 'errorMessage'>;

export class PlanError extends Error {
  constructor(
    readonly code: 'BACKUP_PATH_NOT_FOUND' | 'PLAN_TIMEOUT' | 'PLAN_FAILED',
    message: string,
  ) {
    super(message);
  }
}

/** Counts a scan and its run plan the way the backup job would write them. Pure. */
export function summarizePlan(scanned: readonly SourceEntry[], plan: RunPlan, issues: number, notes: ReadonlyMap<string, string>): PlanCounts {
  const files = scanned.filter((e) => e.type === 'file');
  const bytes = files.reduce((n, e) => n + e.size, 0);
  // What the backup job writes: the recorded entries that are non-empty files (backup-job.ts).
  const written = plan.record.filter((e) => e.type === 'file' && e.size > 0);
  const writeBytes = written.reduce((n, e) => n + e.size, 0);
  const byReferenceBytes = plan.byReference.reduce((n, r) => n + r.entry.size, 0);
  return {
    files: files.length,
    directories: scanned.filter((e) => e.type === 'directory').length,
    symlinks: scanned.filter((e) => e.type === 'symlink').length,
    bytes,
    writeFiles: written.length,
    writeBytes,
    recordEntries: plan.record.length,
    unchangedEntries: plan.unchanged + plan.confirmed,
    // Every file byte is either written, recorded by reference, or unchanged.
    unchangedBytes: Math.max(0, bytes - writeBytes - byReferenceBytes),
    byReferenceFiles: plan.byReference.length,
    byReferenceBytes,
    deleted: plan.deleted.length,
    issues,
    roots: plan.runs.map((r) => ({ root: r.root, level: r.level, baseRunId: r.baseRunId ?? '', note: notes.get(r.root) ?? '' })),
  };
}

/** Stops a base stream at the next page once `signal` fires (the scan checks it per entry). */
function abortable(source: BaseSource, signal: AbortSignal): BaseSource {
  return (root) => ({
    async *[Symbol.asyncIterator]() {
      for await (const page of source(root)) {
        signal.throwIfAborted();
        yield page;
      }
    },
  });
}

/** Scans and compares, read-only. Rejects with PlanError; `signal` ends it early (PLAN_TIMEOUT). */
export async function computeBackupPlan(cmd: PlanBackup, baseSource: BaseSource, signal: AbortSignal): Promise<PlanCounts> {
  if (cmd.paths.length === 0) throw new PlanError('PLAN_FAILED', 'a plan needs at least one path');
  let issues = 0;
  const notes = new Map<string, string>();
  try {
    const scanned = await scanSources(cmd.paths, cmd.excludes, () => issues++, signal);
    const plan = await planRun(scanned, cmd.paths, {
      level: cmd.level || IncrementalLevel.INCREMENTAL_LEVEL_FULL,
      compareContent: cmd.compareContent,
      baseSource: abortable(baseSource, signal),
      note: async (line, root) => void notes.set(root, line),
    });
    signal.throwIfAborted();
    return summarizePlan(scanned, plan, issues, notes);
  } catch (err) {
    if (err instanceof SourceNotFoundError) throw new PlanError('BACKUP_PATH_NOT_FOUND', err.message);
    if (signal.aborted) {
      throw signal.reason instanceof PlanError ? signal.reason : new PlanError('PLAN_TIMEOUT', `the scan did not finish within ${cmd.deadlineMs} ms`);
    }
    throw new PlanError('PLAN_FAILED', (err as Error).message);
  }
}
