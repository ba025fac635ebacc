// The agent's own HTTP endpoint (off unless `healthPort` is set; 127.0.0.1 by default):
//   /healthz  200 while the process answers
//   /readyz   200 once registered with the catalog server and while its last call there succeeded
//   /metrics  Prometheus text (agent-metrics.ts)
// No token: it listens on loopback by default, and says nothing a local user could not read from
// the agent's log. A site that opens it to the network puts it behind its own firewall rules.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import type { AgentMetrics } from './agent-metrics.js';

export interface Readiness {
  ready(): boolean;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(host: string, port: number, metrics: AgentMetrics, readiness: Readiness, log: Logger): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { status: 'method not allowed' });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') return readiness.ready() ? json(200, { status: 'ok' }) : json(503, { status: 'unavailable' });
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          log.warn({ err: err.message }, 'cannot collect metrics');
          json(500, { status: 'error' });
        },
      );
      return;
    }
    json(404, { status: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  log.info({ host, port: bound }, `health and metrics on http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`);
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
