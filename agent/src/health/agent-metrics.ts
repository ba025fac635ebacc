// The agent's Prometheus metrics: jobs running, bytes each drive wrote or read (from the progress its
// jobs report), drive busy or idle, and the session's registrations and reconnects. Its own registry
// (not prom-client's global one), so tests can run several agents in one process.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { JobWatcher } from '../jobs/job-runner.js';

/** Which way a job's bytes go, by kind (proto names): a backup writes tape, the others read it. */
const DIRECTION: Partial<Record<string, 'written' | 'read'>> = {
  JOB_KIND_BACKUP: 'written',
  JOB_KIND_RESTORE: 'read',
  JOB_KIND_VERIFY: 'read',
  JOB_KIND_REBUILD: 'read',
};

/** What the metrics read at scrape time. */
export interface AgentView {
  runningJobs(): number;
  driveNames(): string[];
  busyDriveNames(): Set<string>;
}

export class AgentMetrics implements JobWatcher {
  readonly registry = new Registry();
  readonly registrations;
  private readonly bytes;
  /** The last bytesDone of each job attempt, so progress becomes increments. */
  private readonly lastBytes = new Map<string, number>();

  constructor(view: AgentView) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'ferrite_agent_jobs_running',
      help: 'Jobs this agent is running',
      registers,
      collect() {
        this.set(view.runningJobs());
      },
    });
    new Gauge({
      name: 'ferrite_agent_drive_busy',
      help: '1 while a job holds the drive',
      labelNames: ['drive'] as const,
      registers,
      collect() {
        const busy = view.busyDriveNames();
        for (const drive of view.driveNames()) this.set({ drive }, busy.has(drive) ? 1 : 0);
      },
    });
    this.bytes = new Counter({
      name: 'ferrite_agent_drive_bytes_total',
      help: "Bytes this agent's jobs wrote to (backups) or read from (restores, verifies, rebuilds) each drive they held, since the agent started",
      labelNames: ['drive', 'direction'] as const,
      registers,
    });
    this.registrations = new Counter({
      name: 'ferrite_agent_registrations_total',
      help: 'Successful registrations with the catalog server; every one after the first is a reconnect',
      registers,
    });
  }

  progress(job: { jobId: string; attempt: number; kind: string; driveNames: string[] }, bytesDone: number): void {
    const direction = DIRECTION[job.kind];
    if (!direction) return;
    const key = `${job.jobId}/${job.attempt}`;
    const delta = bytesDone - (this.lastBytes.get(key) ?? 0);
    if (delta <= 0) return;
    this.lastBytes.set(key, bytesDone);
    for (const drive of direction === 'written' ? job.driveNames : job.driveNames.slice(0, 1)) this.bytes.inc({ drive, direction }, delta);
  }
}
