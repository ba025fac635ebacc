import { Module } from '@nestjs/common';
import { OperatorRequestUpdatesPubSub } from './operator-request-updates.pubsub.js';
import { OperatorRequestsRepository } from './operator-requests.repository.js';
import { OperatorRequestsResolver } from './operator-requests.resolver.js';
import { OperatorRequestsService } from './operator-requests.service.js';

@Module({
  providers: [OperatorRequestsRepository, OperatorRequestsService, OperatorRequestUpdatesPubSub, OperatorRequestsResolver],
  // The repository too: a job and its requests are created in one transaction (jobs-waiting.service.ts).
  exports: [OperatorRequestsService, OperatorRequestsRepository],
})
export class OperatorRequestsModule {}
