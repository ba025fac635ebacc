// The agent's identity at start: the one on disk, or a new one from the enrolment token the config
// (or FERRITE_ENROLLMENT_TOKEN) carries. An agent without either does not start: it would be
// refused by the server anyway, and the message says how to enrol.
import { identityDirOf, type AgentConfig } from '../config/agent-config.js';
import type { Logger } from '../logger.js';
import { enroll } from './enroll.js';
import { IdentityError, loadIdentity, type AgentIdentity } from './identity-store.js';

export async function agentIdentity(config: AgentConfig, log: Logger): Promise<AgentIdentity> {
  const dir = identityDirOf(config);
  let identity = await loadIdentity(dir);
  if (!identity) {
    if (!config.enrollmentToken)
      throw new IdentityError(
        `agent ${config.name} is not enrolled (no certificate in ${dir}): an admin creates a token with the createAgentEnrollment mutation, then run \`ferrite-agent enroll --token <token>\` (or start with FERRITE_ENROLLMENT_TOKEN set)`,
      );
    identity = await enroll({ server: config.server, token: config.enrollmentToken, dir, serverName: config.serverName, agentName: config.name });
    log.info({ agent: identity.name, notAfter: identity.notAfter, caFingerprint: identity.caFingerprint }, 'enrolled with the catalog server');
  }
  if (identity.name !== config.name)
    throw new IdentityError(
      `the certificate in ${dir} is agent ${JSON.stringify(identity.name)}'s, but this config names ${JSON.stringify(config.name)}: enrol this name, or use the enrolled one`,
    );
  return identity;
}
