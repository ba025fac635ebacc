#!/usr/bin/env node
// ferrite-agent: dials the catalog server, registers its drives and libraries, and runs the tape jobs
// it is given. Configuration: --config FILE or FERRITE_AGENT_CONFIG, with FERRITE_* overrides.
//   ferrite-agent [--config FILE]                          run
//   ferrite-agent enroll --token T [--server H:P] [--config FILE]   enrol, then exit
import { parseArgs } from 'node:util';
import { identityDirOf, loadAgentConfig, AgentConfigError } from './config/agent-config.js';
import { openDriveSet } from './drives/drive-set.js';
import { agentIdentity } from './identity/agent-identity.js';
import { enroll } from './identity/enroll.js';
import { IdentityError } from './identity/identity-store.js';
import { CertificateRenewal } from './identity/renewal.js';
import { serverTls } from './identity/tls-credentials.js';
import { startAgentHealth } from './health/agent-health.js';
import { JobRunner } from './jobs/job-runner.js';
import { createLogger } from './logger.js';
import { AgentSession } from './session/agent-session.js';
import { ServerClient } from './session/server-client.js';

async function run(): Promise<void> {
  const config = await loadAgentConfig();
  const log = createLogger(config.logLevel);
  const identity = await agentIdentity(config, log);
  const drives = await openDriveSet(config, log);
  const client = new ServerClient(config.server, serverTls(identity.caPem, config.serverName, identity), log);
  const renewal = new CertificateRenewal(identity, client, identityDirOf(config), config.serverName, log);
  // The runner asks for the agent id only once jobs run, after the session below exists.
  const runner: JobRunner = new JobRunner(client, drives, config, (): string => session.agentId, log);
  const session: AgentSession = new AgentSession(client, config, drives, runner, log);
  const health = await startAgentHealth(config, { client, runner, drives }, log);
  log.info({ agent: config.name, server: config.server, drives: drives.all().map((d) => d.drive.identity.name) }, 'ferrite agent starting');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: cancelling running jobs so they checkpoint and unmount');
    renewal.stop();
    await runner.shutdown(`agent stopped (${signal})`);
    session.stop();
    client.close();
    await health?.close();
    log.info('agent stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  renewal.start();
  await session.run();
}

/** `ferrite-agent enroll`: the config says the agent's name and where its identity goes. */
async function enrollCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { token: { type: 'string' }, server: { type: 'string' }, config: { type: 'string' } }, strict: true });
  const token = values.token ?? process.env.FERRITE_ENROLLMENT_TOKEN;
  if (!token) throw new IdentityError('usage: ferrite-agent enroll --token <token from createAgentEnrollment> [--server host:port] [--config FILE]');
  const config = await loadAgentConfig(
    { ...process.env, ...(values.server ? { FERRITE_SERVER: values.server } : {}) },
    values.config ? ['--config', values.config] : [],
  );
  const identity = await enroll({ server: config.server, token, dir: identityDirOf(config), serverName: config.serverName, agentName: config.name });
  console.log(
    `enrolled agent ${identity.name} with ${config.server}: certificate valid until ${identity.notAfter.toISOString()}, in ${identityDirOf(config)}; CA ${identity.caFingerprint}`,
  );
}

const [command, ...rest] = process.argv.slice(2);
(command === 'enroll' ? enrollCommand(rest) : run()).catch((err) => {
  const message = err instanceof AgentConfigError || err instanceof IdentityError ? err.message : ((err as Error).stack ?? String(err));
  console.error(`ferrite-agent: ${message}`);
  process.exit(1);
});
