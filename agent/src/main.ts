#!/usr/bin/env node
// ferrite-agent: dials the catalog server, registers its drives and libraries, and runs the tape jobs
// it is given. Configuration: --config FILE or FERRITE_AGENT_CONFIG, with FERRITE_* overrides.
import { loadAgentConfig, AgentConfigError } from './config/agent-config.js';
import { openDriveSet } from './drives/drive-set.js';
import { JobRunner } from './jobs/job-runner.js';
import { createLogger } from './logger.js';
import { AgentSession } from './session/agent-session.js';
import { ServerClient } from './session/server-client.js';

async function main(): Promise<void> {
  const config = await loadAgentConfig();
  const log = createLogger(config.logLevel);
  const drives = await openDriveSet(config, log);
  const client = new ServerClient(config.server, log);
  // The runner asks for the agent id only once jobs run, after the session below exists.
  const runner: JobRunner = new JobRunner(client, drives, config, (): string => session.agentId, log);
  const session: AgentSession = new AgentSession(client, config, drives, runner, log);
  log.info({ agent: config.name, server: config.server, drives: drives.all().map((d) => d.drive.identity.name) }, 'ferrite agent starting');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: cancelling running jobs so they checkpoint and unmount');
    await runner.shutdown(`agent stopped (${signal})`);
    session.stop();
    client.close();
    log.info('agent stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await session.run();
}

main().catch((err) => {
  const message = err instanceof AgentConfigError ? err.message : ((err as Error).stack ?? String(err));
  console.error(`ferrite-agent: ${message}`);
  process.exit(1);
});
