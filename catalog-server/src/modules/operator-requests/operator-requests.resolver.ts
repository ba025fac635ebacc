// GraphQL edge for operator requests: the list (open ones first to act on) and a subscription that
// tells a console the moment a job needs a person.
import { Args, Int, Query, Resolver, Subscription } from '@nestjs/graphql';
import { OperatorRequestModel, OperatorRequestStatusValue } from './models/operator-request.model.js';
import { OperatorRequestUpdatesPubSub } from './operator-request-updates.pubsub.js';
import { OperatorRequestsService } from './operator-requests.service.js';
import { RequireRole, Role } from '../auth/roles.js';

@Resolver(() => OperatorRequestModel)
export class OperatorRequestsResolver {
  constructor(
    private readonly requests: OperatorRequestsService,
    private readonly updates: OperatorRequestUpdatesPubSub,
  ) {}

  @RequireRole(Role.VIEWER)
  @Query(() => [OperatorRequestModel], { description: 'Operator requests, newest first (e.g. status: OPEN for what needs doing now).' })
  operatorRequests(
    @Args('status', { type: () => OperatorRequestStatusValue, nullable: true }) status: OperatorRequestStatusValue | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 100 }) first: number,
  ): Promise<OperatorRequestModel[]> {
    return this.requests.list(status, first ?? 100);
  }

  @RequireRole(Role.VIEWER)
  @Subscription(() => OperatorRequestModel, { description: 'Every new, satisfied or cancelled operator request.' })
  operatorRequestUpdated(): AsyncIterableIterator<{ operatorRequestUpdated: OperatorRequestModel }> {
    return this.updates.subscribe();
  }
}
