// Times each GraphQL request over HTTP into ferrite_graphql_request_duration_seconds, labelled by
// operation type and root field (a name from the schema, so the label set stays bounded; `files`
// is the search) and whether the response carried errors. Subscriptions over WebSocket are not
// Apollo requests and are not timed.
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import type { ServerMetrics } from '../modules/metrics/server-metrics.js';

export function requestDurationPlugin(metrics: ServerMetrics): ApolloServerPlugin {
  return {
    requestDidStart() {
      const end = metrics.graphqlDuration.startTimer();
      return Promise.resolve({
        willSendResponse(ctx) {
          const op = ctx.operation;
          const first = op?.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
          const failed = ctx.response.body.kind === 'single' && (ctx.response.body.singleResult.errors?.length ?? 0) > 0;
          end({
            operation: op?.operation ?? 'unknown',
            field: first?.kind === Kind.FIELD ? first.name.value : 'unknown',
            outcome: failed ? 'error' : 'ok',
          });
          return Promise.resolve();
        },
      });
    },
  };
}
