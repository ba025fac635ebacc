// Answers the server's PlanBackup commands: runs computeBackupPlan beside the jobs (no drive, no
// tape), bounded by the command's deadline and by MAX_PLANS at once, and sends the answer, or the
// reason there is none, with ReportPlan. A plan that outlives its session or the agent is aborted.
import { Metadata } from '@grpc/grpc-js';
import type { PlanBackup, PlanBaseResponse } from '@ferrite/proto';
import type { BaseSource } from '../backup/base-source.js';
import { computeBackupPlan, PlanError, type PlanCounts } from '../backup/backup-plan.js';
import type { Logger } from '../logger.js';
import { RETRY, type ServerClient } from './server-client.js';

/** Plans scanning at once; a further one is refused (the operator asks again) rather than queued. */
export const MAX_PLANS = 2;
/** Used when the command names no deadline (a server that does not send one). */
const DEFAULT_DEADLINE_MS = 60_000;

const EMPTY: PlanCounts = {
  files: 0,
  directories: 0,
  symlinks: 0,
  bytes: 0,
  writeFiles: 0,
  writeBytes: 0,
  recordEntries: 0,
  unchangedEntries: 0,
  unchangedBytes: 0,
  byReferenceFiles: 0,
  byReferenceBytes: 0,
  deleted: 0,
  issues: 0,
  roots: [],
};

export class BackupPlanner {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly client: ServerClient,
    private readonly agentId: () => string,
    private readonly log: Logger,
  ) {}

  async handle(cmd: PlanBackup): Promise<void> {
    if (this.running.has(cmd.requestId)) return;
    if (this.running.size >= MAX_PLANS) {
      return this.report(cmd, EMPTY, new PlanError('PLAN_FAILED', `this agent is already planning ${MAX_PLANS} backups; ask again when one has answered`));
    }
    const controller = new AbortController();
    this.running.set(cmd.requestId, controller);
    const timer = setTimeout(() => controller.abort(), cmd.deadlineMs || DEFAULT_DEADLINE_MS);
    const started = Date.now();
    this.log.info({ request: cmd.requestId, paths: cmd.paths }, 'planning a backup');
    try {
      const counts = await computeBackupPlan(cmd, this.baseSource(cmd), controller.signal);
      this.log.info({ request: cmd.requestId, files: counts.files, bytes: counts.bytes, ms: Date.now() - started }, 'backup plan ready');
      await this.report(cmd, counts, null);
    } catch (err) {
      const planError = err instanceof PlanError ? err : new PlanError('PLAN_FAILED', (err as Error).message);
      this.log.warn({ request: cmd.requestId, code: planError.code, err: planError.message }, 'backup plan failed');
      await this.report(cmd, EMPTY, planError);
    } finally {
      clearTimeout(timer);
      this.running.delete(cmd.requestId);
    }
  }

  /** Stops every plan (the agent is stopping); each answers PLAN_FAILED if the server still listens. */
  abortAll(reason: string): void {
    for (const c of this.running.values()) c.abort(new PlanError('PLAN_FAILED', reason));
  }

  private baseSource(cmd: PlanBackup): BaseSource {
    return (root) => {
      const stream = this.client.raw.planBase({ agentId: this.agentId(), requestId: cmd.requestId, root, level: cmd.level, pool: cmd.pool }, new Metadata());
      return {
        async *[Symbol.asyncIterator]() {
          for await (const msg of stream as AsyncIterable<PlanBaseResponse>) {
            if (msg.page) yield msg.page;
          }
        },
      };
    };
  }

  private async report(cmd: PlanBackup, counts: PlanCounts, error: PlanError | null): Promise<void> {
    await this.client
      .reportPlan(
        { agentId: this.agentId(), requestId: cmd.requestId, errorCode: error?.code ?? '', errorMessage: error?.message ?? '', ...counts },
        RETRY.quick,
      )
      .catch((err: Error) => this.log.warn({ request: cmd.requestId, err: err.message }, 'could not send a backup plan'));
  }
}
