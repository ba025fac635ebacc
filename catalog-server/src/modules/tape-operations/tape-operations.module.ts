import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { OperatorRequestsModule } from '../operator-requests/operator-requests.module.js';
import { TapesModule } from '../tapes/tapes.module.js';
import { TapeOperationsRepository } from './tape-operations.repository.js';
import { TapeOperationsResolver } from './tape-operations.resolver.js';
import { TapeOperationsService } from './tape-operations.service.js';

@Module({
  imports: [AgentsModule, TapesModule, JobsModule, OperatorRequestsModule],
  providers: [TapeOperationsRepository, TapeOperationsService, TapeOperationsResolver],
})
export class TapeOperationsModule {}
