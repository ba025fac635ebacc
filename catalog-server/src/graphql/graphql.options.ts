// Apollo through @nestjs/apollo: code-first schema built in memory at startup, GraphiQL as the
// browser IDE on GET /graphql, subscriptions over graphql-ws on the same path.
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { ApolloDriver } from '@nestjs/apollo';
import type { Logger } from '../common/logger.js';
import { createGraphQLErrorFormatter } from './graphql-error.formatter.js';

export const GRAPHQL_PATH = '/graphql';

export function graphqlOptions(logger: Logger): ApolloDriverConfig {
  return {
    driver: ApolloDriver,
    path: GRAPHQL_PATH,
    autoSchemaFile: true,
    sortSchema: true,
    introspection: true,
    // Stack traces help nobody reading an API error; internal errors are logged server-side.
    includeStacktraceInErrorResponses: false,
    // GraphiQL (served by @nestjs/apollo; the page loads its scripts from a public CDN in the
    // browser). Enabled explicitly so NODE_ENV=production does not hide the operator's IDE.
    graphiql: true,
    subscriptions: { 'graphql-ws': true },
    formatError: createGraphQLErrorFormatter(logger.child({ component: 'graphql' })),
  };
}
