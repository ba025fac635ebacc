// GET /metrics (Prometheus text; a VIEWER token, as Prometheus's `authorization` setting sends it),
// GET /healthz (the process answers) and GET /readyz (the catalog database answers and has every
// migration): the two probes are open and say only ok or not, so a load balancer or kubelet needs
// no token and learns nothing about the site.
import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { PublicRoute, RequireRole, Role } from '../auth/roles.js';
import { MetricsService } from './metrics.service.js';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @RequireRole(Role.VIEWER)
  @Get('metrics')
  async scrape(@Res() res: ServerResponse): Promise<void> {
    const body = await this.metrics.render();
    res.statusCode = 200;
    res.setHeader('content-type', this.metrics.contentType);
    res.end(body);
  }

  @PublicRoute('a liveness probe: answers ok and nothing else')
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @PublicRoute('a readiness probe: answers ok or unavailable, the reason only in the server log')
  @Get('readyz')
  async readyz(@Res() res: ServerResponse): Promise<void> {
    const ready = await this.metrics.ready();
    res.statusCode = ready ? 200 : 503;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(JSON.stringify({ status: ready ? 'ok' : 'unavailable' }));
  }
}
