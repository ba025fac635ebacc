// The gRPC endpoint agents dial (plain grpc-js, not @nestjs/microservices: we need a server-stream
// registry, our own status mapping and the real bound port). Started explicitly by startServer
// after the HTTP side is up; stopped before the Nest app closes so open command streams end first.
// Always TLS: the server certificate is issued by the agents' CA at every start. A client
// certificate is asked for and verified against that CA but not required by the handshake, because
// an agent that has none yet must reach AgentEnrollmentService.Enroll; every AgentService call is
// refused without one (AgentRpcHandlers checks the identity before anything else).
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { experimental, Server, type ServerCredentials } from '@grpc/grpc-js';
import { AgentEnrollmentServiceService, AgentServiceService } from '@ferrite/proto';
import { AgentIdentityService } from '../agent-identity/agent-identity.service.js';
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
    private readonly identities: AgentIdentityService,
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
    server.addService(AgentEnrollmentServiceService, this.handlers.enrollment());
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const credentials = await this.credentials();
    const bound = await new Promise<number>((resolve, reject) => server.bindAsync(address, credentials, (err, p) => (err ? reject(err) : resolve(p))));
    this.server = server;
    return bound;
  }

  /**
   * TLS with the CA-issued server certificate; client certificates requested and verified against
   * the CA, not required (see the top of this file). grpc-js offers optional client certificates
   * only through certificate providers: this one hands over fixed PEMs.
   */
  private async credentials(): Promise<ServerCredentials> {
    const { certificateChainPem, privateKeyPem } = await this.identities.serverCertificate();
    const ca = { caCertificate: Buffer.from(this.identities.ca.certificatePem) };
    const identity = { certificate: Buffer.from(certificateChainPem), privateKey: Buffer.from(privateKeyPem) };
    // Listeners are called after grpc-js has registered itself for updates (it adds its watcher
    // after it adds the listener), so the first update is not lost.
    const provider: experimental.CertificateProvider = {
      addCaCertificateListener: (listener) => void setImmediate(listener, ca),
      removeCaCertificateListener: () => {},
      addIdentityCertificateListener: (listener) => void setImmediate(listener, identity),
      removeIdentityCertificateListener: () => {},
    };
    return experimental.createCertificateProviderServerCredentials(provider, provider, false);
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
