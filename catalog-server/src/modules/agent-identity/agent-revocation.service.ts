// revokeAgent: the agent's certificates are revoked in the catalog, and every replica forgets them
// and ends the agent's command stream (here at once, elsewhere through the cluster bus; a replica
// that missed the message re-reads the certificate within AgentIdentityService's cache time).
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { LOGGER, type Logger } from '../../common/logger.js';
import { AgentErrors } from '../agents/agents.errors.js';
import { AgentSessionsRegistry } from '../agents/agent-sessions.registry.js';
import { AgentsService } from '../agents/agents.service.js';
import { CLUSTER_CHANNELS, ClusterBus } from '../cluster/cluster-bus.js';
import { AgentIdentityErrors } from './agent-identity.errors.js';
import { AGENT_NAME, AgentIdentityService } from './agent-identity.service.js';

@Injectable()
export class AgentRevocationService implements OnModuleInit {
  private readonly log: Logger;

  constructor(
    private readonly identities: AgentIdentityService,
    private readonly agents: AgentsService,
    private readonly sessions: AgentSessionsRegistry,
    private readonly bus: ClusterBus,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'agent-revocation' });
  }

  onModuleInit(): void {
    this.bus.on(CLUSTER_CHANNELS.agentRevoked, (payload) => this.endLocally(String(payload.agentName)));
  }

  async revoke(agentName: string): Promise<{ agentName: string; revokedCertificates: number }> {
    if (!AGENT_NAME.test(agentName)) throw AgentIdentityErrors.invalidName(agentName);
    const revokedCertificates = await this.identities.revoke(agentName);
    if (revokedCertificates === 0 && !(await this.agents.findByName(agentName))) throw AgentErrors.notFound(agentName);
    await this.endLocally(agentName);
    await this.bus
      .publish(CLUSTER_CHANNELS.agentRevoked, { agentName })
      .catch((err: unknown) => this.log.warn({ err, agent: agentName }, 'could not tell other replicas of a revocation (they re-read it within seconds)'));
    this.log.warn({ agent: agentName, revokedCertificates }, 'agent revoked');
    return { agentName, revokedCertificates };
  }

  private async endLocally(agentName: string): Promise<void> {
    this.identities.forget(agentName);
    const agent = await this.agents.findByName(agentName);
    if (agent) this.sessions.disconnect(agent.id);
  }
}
