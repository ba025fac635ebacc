// Prometheus metrics and the health probes. Global so the edges that measure at their source (the
// GraphQL plugin, the agents' gRPC handlers) can inject ServerMetrics.
import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsRepository } from './metrics.repository.js';
import { MetricsService } from './metrics.service.js';
import { ServerMetrics } from './server-metrics.js';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [ServerMetrics, MetricsRepository, MetricsService],
  exports: [ServerMetrics],
})
export class MetricsModule {}
