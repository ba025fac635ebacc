// Fan-out of operator request changes to `operatorRequestUpdated` subscribers (in-process, like
// job updates).
import { Injectable } from '@nestjs/common';
import { PubSub } from 'graphql-subscriptions';
import type { OperatorRequestModel } from './models/operator-request.model.js';

const TOPIC = 'operator-requests';

@Injectable()
export class OperatorRequestUpdatesPubSub {
  private readonly pubsub = new PubSub<Record<string, { operatorRequestUpdated: OperatorRequestModel }>>();

  publish(request: OperatorRequestModel): Promise<void> {
    return this.pubsub.publish(TOPIC, { operatorRequestUpdated: request });
  }

  subscribe(): AsyncIterableIterator<{ operatorRequestUpdated: OperatorRequestModel }> {
    return this.pubsub.asyncIterableIterator(TOPIC);
  }
}
