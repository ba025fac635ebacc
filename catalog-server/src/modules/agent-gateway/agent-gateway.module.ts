import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { AgentIdentityModule } from '../agent-identity/agent-identity.module.js';
import { FilesModule } from '../files/files.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { AgentGrpcServer } from './agent-grpc.server.js';
import { AgentRpcHandlers } from './agent-rpc.handlers.js';

@Module({
  imports: [AgentsModule, AgentIdentityModule, JobsModule, FilesModule, RunsModule],
  providers: [AgentRpcHandlers, AgentGrpcServer],
  exports: [AgentGrpcServer],
})
export class AgentGatewayModule {}
