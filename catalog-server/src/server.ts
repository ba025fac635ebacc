// Starts the catalog server in-process: database (embedded PostgreSQL unless DATABASE_URL is set),
// migrations, the Nest app with GraphQL over HTTP, and the agents' gRPC endpoint. main.ts calls
// this; tests call it with port 0 and read the real addresses from the result.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { applyMigrations, startEmbeddedPostgres, type EmbeddedDatabase } from '@ferrite/db';
import { AppModule } from './app.module.js';
import { createLogger, PinoNestLogger, type Logger } from './common/logger.js';
import type { ServerConfig } from './config/config.js';
import { GRAPHQL_PATH } from './graphql/graphql.options.js';
import { bodyErrors, MAX_BODY } from './graphql/request-limits.js';
import { AgentGrpcServer } from './modules/agent-gateway/agent-grpc.server.js';
import { FIRST_ADMIN, OperatorsService } from './modules/auth/operators.service.js';

export interface RunningServer {
  /** http://HOST:PORT/graphql with the real port (127.0.0.1 when bound to all interfaces). */
  graphqlUrl: string;
  /** HOST:PORT agents dial, with the real port. */
  grpcAddress: string;
  databaseUrl: string;
  /** The first admin's API token when this start created it (an empty catalog), else null. */
  firstAdminToken: string | null;
  app: INestApplication;
  /** Closes gRPC (ending command streams), then the Nest app, then the embedded PostgreSQL. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

export class StartupError extends Error {}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const log = logger.child({ component: 'server' });
  const cleanups: (() => Promise<void>)[] = [];
  const unwind = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log.error({ err }, 'cleanup failed'));
    cleanups.length = 0;
  };

  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await startEmbedded(config, log);
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const applied = await applyMigrations(databaseUrl).catch((err: Error) => {
      throw new StartupError(`cannot bring the catalog database (${redact(databaseUrl)}) up to date: ${err.message}`);
    });
    log.info({ applied }, applied.length ? 'applied catalog migrations' : 'catalog schema is up to date');

    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, databaseUrl, logger), {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
      // Our own JSON parser with a size limit, and its errors as GraphQL JSON (request-limits.ts).
      bodyParser: false,
    });
    cleanups.push(() => app.close());
    app.useBodyParser('json', { limit: MAX_BODY });
    app.use(bodyErrors);
    // Before listening: the first admin exists (and its token is on disk) by the time anyone can ask.
    const firstAdminToken = await app.get(OperatorsService).ensureFirstAdmin();
    if (firstAdminToken) await handOverFirstAdminToken(firstAdminToken, config, log);
    await app.listen(config.graphqlPort, config.host).catch((err: NodeJS.ErrnoException) => {
      throw listenError('GraphQL (HTTP)', config.host, config.graphqlPort, 'FERRITE_GRAPHQL_PORT', err);
    });
    const httpServer = app.getHttpServer() as { address(): AddressInfo };
    const httpPort = httpServer.address().port;

    const grpc = app.get(AgentGrpcServer);
    const grpcPort = await grpc.listen(config.grpcHost, config.grpcPort).catch((err: NodeJS.ErrnoException) => {
      throw listenError('agents (gRPC)', config.grpcHost, config.grpcPort, 'FERRITE_GRPC_PORT', err);
    });
    cleanups.push(() => grpc.stop());

    const graphqlUrl = `http://${reachableHost(config.host)}:${httpPort}${GRAPHQL_PATH}`;
    const grpcAddress = `${reachableHost(config.grpcHost)}:${grpcPort}`;
    log.info(
      {
        graphql: graphqlUrl,
        graphqlIde: `http://localhost:${httpPort}${GRAPHQL_PATH}`,
        grpc: grpcAddress,
        listen: { host: config.host, graphqlPort: httpPort, grpcHost: config.grpcHost, grpcPort },
        database: config.databaseUrl ? 'external' : 'embedded',
      },
      `ferrite catalog server ready: GraphQL http://localhost:${httpPort}${GRAPHQL_PATH}, agents gRPC ${config.grpcHost}:${grpcPort}`,
    );

    let stopping: Promise<void> | null = null;
    return {
      graphqlUrl,
      grpcAddress,
      databaseUrl,
      firstAdminToken,
      app,
      stop: () =>
        (stopping ??= (async () => {
          log.info('stopping');
          await unwind();
          log.info('stopped');
        })()),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

async function startEmbedded(config: ServerConfig, log: Logger): Promise<EmbeddedDatabase> {
  const dataDir = path.join(config.dataDir, 'pg');
  log.info({ dataDir, port: config.embeddedPgPort }, 'DATABASE_URL not set: starting embedded PostgreSQL');
  try {
    return await startEmbeddedPostgres({ dataDir, port: config.embeddedPgPort, log: (message) => log.warn({ dataDir }, message) });
  } catch (err) {
    throw new StartupError(
      `cannot start the embedded PostgreSQL in ${dataDir} on port ${config.embeddedPgPort}` +
        `${err instanceof Error ? `: ${err.message}` : ' (it exited during startup)'}. ` +
        'Is another Ferrite server running? Set FERRITE_EMBEDDED_PG_PORT, FERRITE_DATA_DIR, or DATABASE_URL to use your own PostgreSQL.',
    );
  }
}

function listenError(what: string, host: string, port: number, envName: string, err: NodeJS.ErrnoException): StartupError {
  const inUse = err.code === 'EADDRINUSE' || /address already in use|No address added/i.test(err.message);
  return new StartupError(
    inUse
      ? `cannot listen for ${what} on ${host}:${port}: the port is in use. Stop what holds it or set ${envName}.`
      : `cannot listen for ${what} on ${host}:${port}: ${err.message}`,
  );
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** The address a client on this machine dials for a listen address (loopback for a wildcard). */
function reachableHost(host: string): string {
  const reachable = isWildcard(host) ? '127.0.0.1' : host;
  return reachable.includes(':') ? `[${reachable}]` : reachable;
}

/**
 * The first start created the operator `admin`: its token goes to FERRITE_ADMIN_TOKEN_FILE (mode
 * 0600, never logged) when set, else into the log once. Either way it is never shown again; an
 * admin creates more with createApiToken.
 */
async function handOverFirstAdminToken(token: string, config: ServerConfig, log: Logger): Promise<void> {
  if (config.adminTokenFile) {
    await mkdir(path.dirname(config.adminTokenFile), { recursive: true });
    await writeFile(config.adminTokenFile, token + '\n', { mode: 0o600 });
    await chmod(config.adminTokenFile, 0o600);
    log.warn(
      { operator: FIRST_ADMIN, tokenFile: config.adminTokenFile },
      `first start: created the operator ${FIRST_ADMIN} (role ADMIN); its API token is in ${config.adminTokenFile}: send it as "Authorization: Bearer <token>"`,
    );
    return;
  }
  log.warn(
    { operator: FIRST_ADMIN },
    `first start: created the operator ${FIRST_ADMIN} (role ADMIN) with this API token, shown once (store it now; send it as "Authorization: Bearer <token>"): ${token}`,
  );
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
