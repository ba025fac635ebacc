import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { AgentIdentityRepository } from './agent-identity.repository.js';
import { AgentIdentityResolver } from './agent-identity.resolver.js';
import { AgentIdentityService } from './agent-identity.service.js';
import { AgentRevocationService } from './agent-revocation.service.js';

@Module({
  imports: [AgentsModule],
  providers: [AgentIdentityRepository, AgentIdentityService, AgentRevocationService, AgentIdentityResolver],
  exports: [AgentIdentityService],
})
export class AgentIdentityModule {}
