// Starts the agent's health endpoint from main.ts with one call, and watches what it reports on:
// the job runner's progress (bytes per drive) and the session's calls to the server. The session
// (session/, owned elsewhere) has no hook for this, so its ServerClient's register and heartbeat
// calls are observed here instead: a registration that succeeds counts (each after the first is a
// reconnect), and the agent is ready while the last register or heartbeat succeeded.
import type { AgentConfig } from '../config/agent-config.js';
import type { DriveSet } from '../drives/drive-set.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { Logger } from '../logger.js';
import type { ServerClient } from '../session/server-client.js';
import { AgentMetrics } from './agent-metrics.js';
import { startHealthServer, type HealthServer } from './health-server.js';

/** The server calls whose outcome says whether the agent is connected and registered. */
export type SessionCalls = Pick<ServerClient, 'register' | 'heartbeat'>;

export class SessionWatch {
  private registered = false;
  private lastCallOk = false;

  constructor(
    client: SessionCalls,
    private readonly metrics: AgentMetrics,
  ) {
    const register = client.register.bind(client);
    const heartbeat = client.heartbeat.bind(client);
    client.register = (req) =>
      this.seen(register(req), () => {
        this.registered = true;
        this.metrics.registrations.inc();
        return true;
      });
    client.heartbeat = (req) => this.seen(heartbeat(req), (res) => res.sessionValid);
  }

  ready(): boolean {
    return this.registered && this.lastCallOk;
  }

  private async seen<T>(call: Promise<T>, ok: (res: T) => boolean): Promise<T> {
    try {
      const res = await call;
      this.lastCallOk = ok(res);
      return res;
    } catch (err) {
      this.lastCallOk = false;
      throw err;
    }
  }
}

/** Starts /healthz, /readyz and /metrics when `config.healthPort` is set; null when it is not. */
export async function startAgentHealth(
  config: Pick<AgentConfig, 'healthHost' | 'healthPort'>,
  parts: { client: SessionCalls; runner: Pick<JobRunner, 'watch' | 'runningJobIds' | 'busyDriveNames'>; drives: Pick<DriveSet, 'all'> },
  log: Logger,
): Promise<HealthServer | null> {
  if (config.healthPort === undefined) return null;
  const { runner, drives } = parts;
  const metrics = new AgentMetrics({
    runningJobs: () => runner.runningJobIds().length,
    driveNames: () => drives.all().map((d) => d.drive.identity.name),
    busyDriveNames: () => runner.busyDriveNames(),
  });
  runner.watch(metrics);
  const watch = new SessionWatch(parts.client, metrics);
  return startHealthServer(config.healthHost, config.healthPort, metrics, watch, log.child({ component: 'health' }));
}
