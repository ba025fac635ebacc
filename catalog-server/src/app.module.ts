// The whole server as one Nest module tree, built from a validated config and a resolved database URL.
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { AuthModule } from './modules/auth/auth.module.js';
import { OperatorsService } from './modules/auth/operators.service.js';
import { AuditService } from './modules/auth/audit.service.js';
import { LoggingModule } from './common/logging.module.js';
import { createLogger, type Logger } from './common/logger.js';
import type { ServerConfig } from './config/config.js';
import { DatabaseModule } from './database/database.module.js';
import { GraphQLPassThroughFilter } from './graphql/graphql-exception.filter.js';
import { graphqlOptions } from './graphql/graphql.options.js';
import { AgentGatewayModule } from './modules/agent-gateway/agent-gateway.module.js';
import { AgentsModule } from './modules/agents/agents.module.js';
import { AgentIdentityModule } from './modules/agent-identity/agent-identity.module.js';
import { ClusterModule } from './modules/cluster/cluster.module.js';
import { FilesModule } from './modules/files/files.module.js';
import { GraphqlIdeModule } from './modules/graphql-ide/graphql-ide.module.js';
import { RunsModule } from './modules/runs/runs.module.js';
import { JobsModule } from './modules/jobs/jobs.module.js';
import { SchedulesModule } from './modules/schedules/schedules.module.js';
import { TapesModule } from './modules/tapes/tapes.module.js';
import { OperatorRequestsModule } from './modules/operator-requests/operator-requests.module.js';
import { MetricsModule } from './modules/metrics/metrics.module.js';
import { ServerMetrics } from './modules/metrics/server-metrics.js';
import { TapeOperationsModule } from './modules/tape-operations/tape-operations.module.js';

@Module({})
export class AppModule {
  static forRoot(config: ServerConfig, databaseUrl: string, logger: Logger = createLogger(config.logLevel)): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot(config, databaseUrl),
        ClusterModule,
        AuthModule,
        MetricsModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          inject: [OperatorsService, AuditService, ServerMetrics],
          useFactory: (operators: OperatorsService, audit: AuditService, metrics: ServerMetrics) =>
            graphqlOptions(logger, operators, audit, config.allowedOrigins, metrics),
        }),
        GraphqlIdeModule,
        TapesModule,
        AgentsModule,
        AgentIdentityModule,
        FilesModule,
        RunsModule,
        JobsModule,
        SchedulesModule,
        OperatorRequestsModule,
        TapeOperationsModule,
        AgentGatewayModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: GraphQLPassThroughFilter }],
    };
  }
}
