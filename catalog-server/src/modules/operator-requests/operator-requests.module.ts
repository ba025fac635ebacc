import { Module } from '@nestjs/common';
import { OperatorRequestUpdatesPubSub } from './operator-request-updates.pubsub.js';
import { OperatorRequestsRepository } from './operator-requests.repository.js';
import { OperatorRequestsResolver } from './operator-requests.resolver.js';
import { OperatorRequestsService } from './operator-requests.service.js';

@Module({
  providers: [OperatorRequestsRepository, OperatorRequestsService, OperatorRequestUpdatesPubSub, OperatorRequestsResolver],
  exports: [OperatorRequestsService],
})
export class OperatorRequestsModule {}
