import { Module } from '@nestjs/common';
import { TapesModule } from '../tapes/tapes.module.js';
import { AgentSessionsRegistry } from './agent-sessions.registry.js';
import { AgentsRepository } from './agents.repository.js';
import { AgentsResolver } from './agents.resolver.js';
import { AgentsService } from './agents.service.js';
import { ChangerLayoutCache } from './changer-layout.cache.js';
import { ChangersResolver, DrivesResolver } from './drives.resolver.js';

@Module({
  imports: [TapesModule],
  providers: [AgentsRepository, AgentsService, ChangerLayoutCache, AgentSessionsRegistry, AgentsResolver, DrivesResolver, ChangersResolver],
  exports: [AgentsService, AgentSessionsRegistry],
})
export class AgentsModule {}
