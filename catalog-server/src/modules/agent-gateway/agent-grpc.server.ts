// The gRPC endpoint agents dial (plain grpc-js, not @nestjs/microservices: we need a server-stream
// registry, our own status mapping and the real bound port). Started explicitly by startServer
// after the HTTP side is up; stopped before the Nest app closes so open command streams end first.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { AgentServiceService } from '@ferrite/proto';
import { LOGGER, type Logger } from '../../common/logger.js';
import { AgentSessionsRegistry } from '../agents/agent-sessions.registry.js';
import { AgentRpcHandlers } from './agent-rpc.handlers.js';

const SHUTDOWN_GRACE_MS = 3000;

@Injectable()
export class AgentGrpcServer implements OnModuleDestroy {
  private server: Server | null = null;
  private readonly log: Logger;

  constructor(
    private readonly handlers: AgentRpcHandlers,
    private readonly sessions: AgentSessionsRegistry,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'grpc' });
  }

  /** Binds and starts serving; resolves with the port actually bound (useful with port 0). */
  async listen(host: string, port: number): Promise<number> {
    const server = new Server({
      // File batches carry thousands of records per message.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      // Command streams sit idle for hours: accept the agent's keepalive pings, and ping too.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 10_000,
    });
    server.addService(AgentServiceService, this.handlers.implementation());
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
    return bound;
  }

  /** Ends every command stream, lets unary calls finish for a moment, then forces the rest. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.sessions.closeAll();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.log.warn('gRPC calls still open at shutdown; closing them');
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }
}
