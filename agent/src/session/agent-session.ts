// Keeps the agent's session with the server: register, hold the command stream open, and when the
// stream drops, register again after a capped, jittered backoff. A separate loop beats, so a busy job
// never starves the heartbeat. Jobs keep running while the session is re-established.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AssignJob, CommandsResponse, RegisterResponse } from '@ferrite/proto';
import type { AgentConfig } from '../config/agent-config.js';
import type { DriveSet } from '../drives/drive-set.js';
import type { Logger } from '../logger.js';
import { reconnectDelayMs } from './backoff.js';
import { BackupPlanner } from './backup-planner.js';
import { takeInventory } from './inventory.js';
import { isPermanentGrpcError, mustRegisterAgain, type ServerClient } from './server-client.js';

export const AGENT_VERSION = '0.1.0';

/** What the session needs of the agent's job runner (jobs/job-runner.ts): the session hands it the
 *  server's commands and reports what it runs; it knows nothing else of jobs. */
export interface JobHost {
  assign(job: AssignJob): void;
  cancel(jobId: string, reason: string): void;
  busyDriveNames(): Set<string>;
  runningJobIds(): string[];
  shutdown(reason: string): Promise<void>;
}

export class AgentSession {
  agentId = '';
  private sessionId = '';
  private stopped = false;
  private currentStream: { cancel(): void } | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  /** What each standalone drive held at the last look (drive name -> barcode or ''). */
  private standaloneSeen = new Map<string, string>();
  private polling = false;
  private readonly stopController = new AbortController();
  private readonly planner: BackupPlanner;

  constructor(
    private readonly client: ServerClient,
    private readonly config: AgentConfig,
    private readonly drives: DriveSet,
    private readonly runner: JobHost,
    private readonly log: Logger,
  ) {
    this.planner = new BackupPlanner(client, () => this.agentId, log);
  }

  /** Runs until stop(); resolves then. Rejects only on errors that retrying cannot fix. */
  async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        const reg = await this.register();
        attempt = 0;
        this.startHeartbeat(reg.heartbeatIntervalMs || 5000);
        this.startStandalonePoll();
        await this.holdCommandStream();
        if (!this.stopped) this.log.warn('command stream ended; reconnecting');
      } catch (err) {
        if (this.stopped) break;
        if (mustRegisterAgain(err)) {
          // Not fatal: the server lost or replaced the session; a new registration mends it.
          this.log.warn({ err: (err as Error).message }, 'the catalog server does not know this session; registering again');
          await sleep(reconnectDelayMs(attempt++), undefined, { signal: this.stopController.signal }).catch(() => {});
          continue;
        }
        if (isPermanentGrpcError(err)) throw err;
        const delay = reconnectDelayMs(attempt++);
        this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'cannot reach the catalog server');
        await sleep(delay, undefined, { signal: this.stopController.signal }).catch(() => {});
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.stopController.abort();
    this.planner.abortAll('the agent is stopping');
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.currentStream?.cancel();
  }

  /** Re-sends the inventory (after an Inventory command, or when the hardware changed). */
  async register(): Promise<RegisterResponse> {
    const inventory = await takeInventory(this.drives, this.runner.busyDriveNames());
    this.standaloneSeen = standaloneContents(inventory.drives, this.standaloneDriveNames());
    const res = await this.client.register({
      agentName: this.config.name,
      hostname: this.config.hostname,
      version: AGENT_VERSION,
      drives: inventory.drives,
      changers: inventory.changers,
      tapes: inventory.tapes,
      allowedRestoreRoots: this.config.allowedRestoreRoots,
      allowedBackupRoots: this.config.allowedBackupRoots,
      allowFormat: this.config.allowFormat,
      allowForceFormat: this.config.allowForceFormat,
    });
    this.agentId = res.agentId;
    this.sessionId = res.sessionId;
    this.log.info(
      { agentId: res.agentId, sessionId: res.sessionId, drives: inventory.drives.length, tapes: inventory.tapes.length },
      'registered with the catalog server',
    );
    return res;
  }

  private standaloneDriveNames(): Set<string> {
    return new Set(
      this.drives
        .all()
        .filter((e) => e.library === null)
        .map((e) => e.drive.identity.name),
    );
  }

  /**
   * Standalone drives (no changer) are looked into every standalonePollMs, idle or not: a
   * cartridge an operator inserted or took out is reported (ReportInventory) at once, so the
   * catalog knows where it is and operator requests for it are satisfied.
   */
  private startStandalonePoll(): void {
    if (this.pollTimer || this.standaloneDriveNames().size === 0) return;
    this.pollTimer = setInterval(() => void this.pollStandalone(), this.config.standalonePollMs);
    this.pollTimer.unref();
  }

  private async pollStandalone(): Promise<void> {
    if (this.polling || !this.agentId) return;
    this.polling = true;
    try {
      const names = this.standaloneDriveNames();
      const now = new Map<string, string>();
      for (const { drive } of this.drives.all()) {
        if (names.has(drive.identity.name)) now.set(drive.identity.name, (await drive.loaded().catch(() => null))?.barcode ?? '');
      }
      const changed = [...now].filter(([name, barcode]) => this.standaloneSeen.get(name) !== barcode);
      if (changed.length === 0) return;
      const inventory = await takeInventory(this.drives, this.runner.busyDriveNames());
      this.log.info({ drives: Object.fromEntries(changed) }, 'a standalone drive changed cartridge: reporting the inventory');
      const res = await this.client.reportInventory({ agentId: this.agentId, sessionId: this.sessionId, inventory });
      this.standaloneSeen = standaloneContents(inventory.drives, names);
      if (!res.sessionValid) this.currentStream?.cancel();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not report a standalone drive change (trying again)');
    } finally {
      this.polling = false;
    }
  }

  private startHeartbeat(intervalMs: number): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => void this.beat(), intervalMs);
    this.heartbeatTimer.unref();
  }

  private async beat(): Promise<void> {
    try {
      const inventory = await takeInventory(this.drives, this.runner.busyDriveNames());
      const res = await this.client.heartbeat({
        agentId: this.agentId,
        sessionId: this.sessionId,
        drives: inventory.drives,
        runningJobIds: this.runner.runningJobIds(),
      });
      if (!res.sessionValid) {
        this.log.warn('server no longer knows this session; registering again');
        this.currentStream?.cancel();
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'heartbeat failed');
    }
  }

  private holdCommandStream(): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = this.client.raw.commands({ agentId: this.agentId, sessionId: this.sessionId });
      this.currentStream = stream;
      stream.on('data', (cmd: CommandsResponse) => void this.handle(cmd));
      stream.on('error', (err: Error & { code?: number }) => {
        // CANCELLED is our own cancel (stop or a session the server dropped): reconnect quietly.
        if (err.code === 1) resolve();
        else reject(err);
      });
      stream.on('end', () => resolve());
    });
  }

  private async handle(cmd: CommandsResponse): Promise<void> {
    if (cmd.assignJob) {
      this.log.info({ job: cmd.assignJob.jobId, kind: cmd.assignJob.kind, drive: cmd.assignJob.driveName }, 'job assigned');
      this.runner.assign(cmd.assignJob);
    } else if (cmd.cancelJob) {
      this.log.info({ job: cmd.cancelJob.jobId, reason: cmd.cancelJob.reason }, 'job cancel requested');
      this.runner.cancel(cmd.cancelJob.jobId, cmd.cancelJob.reason || 'cancelled by the server');
    } else if (cmd.inventory) {
      await this.register().catch((err: Error) => this.log.warn({ err: err.message }, 'inventory report failed'));
    } else if (cmd.planBackup) {
      // Read-only and beside the jobs: it needs no drive, so neither drain nor busy drives stop it.
      void this.planner.handle(cmd.planBackup);
    } else if (cmd.drain) {
      this.log.warn({ reason: cmd.drain.reason }, 'drain requested: finishing running jobs, taking no new ones');
      void this.runner.shutdown(cmd.drain.reason || 'drained by the server');
    }
  }
}

function standaloneContents(drives: { name: string; loadedBarcode: string }[], names: Set<string>): Map<string, string> {
  return new Map(drives.filter((d) => names.has(d.name)).map((d) => [d.name, d.loadedBarcode]));
}
