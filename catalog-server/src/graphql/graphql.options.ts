// Apollo through @nestjs/apollo: code-first schema built in memory at startup, subscriptions over
// graphql-ws on the same path. The browser IDE on GET /graphql is ours (modules/graphql-ide/).
import type { ApolloDriverConfig } from '@nestjs/apollo';
import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import { ApolloDriver } from '@nestjs/apollo';
import type { Logger } from '../common/logger.js';
import type { OperatorsService } from '../modules/auth/operators.service.js';
import type { AuditService } from '../modules/auth/audit.service.js';
import { createGraphQLErrorFormatter } from './graphql-error.formatter.js';
import { graphqlContext, graphqlWsAuth } from './graphql-auth.js';
import { armor, validateWithLimits } from './request-limits.js';
import { requestDurationPlugin } from './request-duration.plugin.js';
import type { ServerMetrics } from '../modules/metrics/server-metrics.js';

export const GRAPHQL_PATH = '/graphql';

export function graphqlOptions(
  logger: Logger,
  operators: OperatorsService,
  audit: AuditService,
  allowedOrigins: readonly string[],
  metrics: ServerMetrics,
): ApolloDriverConfig {
  const log = logger.child({ component: 'graphql' });
  // Depth, alias, directive, token and cost limits (request-limits.ts), over HTTP and WebSocket.
  const limits = armor();
  const ws = { ...graphqlWsAuth(operators, audit, allowedOrigins, log), validate: validateWithLimits(limits.validationRules) };
  return {
    driver: ApolloDriver,
    path: GRAPHQL_PATH,
    autoSchemaFile: true,
    sortSchema: true,
    introspection: true,
    // Stack traces help nobody reading an API error; internal errors are logged server-side.
    includeStacktraceInErrorResponses: false,
    // No landing page from Apollo or @nestjs/apollo (theirs load scripts from a public CDN): the
    // IDE is served from local files by GraphqlIdeController, which answers a browser's GET first.
    graphiql: false,
    // Every request names an API token (graphql-auth.ts); roles are checked per operation (RolesGuard).
    context: graphqlContext(operators, audit, log),
    // `validate` is a graphql-ws server option Nest passes on but does not declare.
    subscriptions: { 'graphql-ws': ws as GraphQLWsSubscriptionsConfig },
    // Armor's types are Apollo's CommonJS ones, ours the ESM ones: the same objects at run time.
    plugins: [...(limits.plugins as unknown as NonNullable<ApolloDriverConfig['plugins']>), requestDurationPlugin(metrics)],
    validationRules: limits.validationRules,
    formatError: createGraphQLErrorFormatter(log),
  };
}
