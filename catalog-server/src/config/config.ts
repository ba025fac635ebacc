// Server configuration: read from the environment once, validated, and passed around as a typed
// object. Nothing else in the server reads process.env.
import path from 'node:path';
import { z } from 'zod';

const schema = z.object({
  /** PostgreSQL to use. When unset, the server starts an embedded PostgreSQL in `dataDir`. */
  databaseUrl: z.string().url().optional(),
  /** Root of the server's local state (embedded PostgreSQL data). */
  dataDir: z.string().min(1),
  embeddedPgPort: z.coerce.number().int().min(1).max(65535),
  /** Where GraphQL (HTTP and WebSocket) listens: loopback unless the site opens it. */
  host: z.string().min(1),
  /** Where the agents' gRPC endpoint listens. */
  grpcHost: z.string().min(1),
  /** The agents' CA (certificate and key, the key mode 0600), created here on the first start. */
  caDir: z.string().min(1),
  /** A site's own CA instead (both files, PEM; the key unencrypted PKCS#8): agents' and the gRPC endpoint's certificates are issued from it. */
  caCertFile: z.string().min(1).optional(),
  caKeyFile: z.string().min(1).optional(),
  /** Names (DNS or IP) agents may dial the gRPC endpoint by, besides localhost and this host's name. */
  grpcTlsNames: z.array(z.string().regex(/^[A-Za-z0-9.:-]+$/, 'a DNS name or an IP address')),
  /** How long an agent's certificate is valid; agents renew it when a third of that is left. */
  agentCertificateDays: z.coerce.number().positive().max(3650),
  /** On the first start, the first admin's token is written here (mode 0600) instead of the log. */
  adminTokenFile: z.string().min(1).optional(),
  /** Browser origins (scheme://host[:port]) allowed to open a GraphQL WebSocket besides the server's own. */
  allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin is scheme://host[:port]')),
  graphqlPort: z.coerce.number().int().min(0).max(65535),
  grpcPort: z.coerce.number().int().min(0).max(65535),
  /** How often agents beat, and after how many missed beats an agent is offline. */
  heartbeatIntervalMs: z.coerce.number().int().min(100),
  heartbeatMissesBeforeOffline: z.coerce.number().int().min(1),
  /** Upper bound on any catalog query. */
  statementTimeoutMs: z.coerce.number().int().min(100),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  /** An ACTIVE tape with less room left than this share of its capacity takes no new backup. */
  tapeMinFreePercent: z.coerce.number().min(0).max(50),
  /** Failed authentications a client address may make in a minute before it is refused for the rest of it. */
  authFailuresPerMinute: z.coerce.number().int().min(1).max(100_000),
  /** How long planBackup waits for the agent's scan (default DEFAULT_PLAN_TIMEOUT_MS). */
  planTimeoutMs: z.coerce.number().int().min(1000).max(3_600_000).optional(),
});

export const DEFAULT_PLAN_TIMEOUT_MS = 120_000;

export type ServerConfig = z.infer<typeof schema>;

/** The environment variable behind each setting, so an error names what the operator set. */
const ENV_NAMES: Record<keyof ServerConfig, string> = {
  databaseUrl: 'DATABASE_URL',
  dataDir: 'FERRITE_DATA_DIR',
  embeddedPgPort: 'FERRITE_EMBEDDED_PG_PORT',
  host: 'FERRITE_HOST',
  grpcHost: 'FERRITE_GRPC_HOST',
  caDir: 'FERRITE_CA_DIR',
  caCertFile: 'FERRITE_CA_CERT_FILE',
  caKeyFile: 'FERRITE_CA_KEY_FILE',
  grpcTlsNames: 'FERRITE_GRPC_TLS_NAMES',
  agentCertificateDays: 'FERRITE_AGENT_CERT_DAYS',
  adminTokenFile: 'FERRITE_ADMIN_TOKEN_FILE',
  allowedOrigins: 'FERRITE_ALLOWED_ORIGINS',
  graphqlPort: 'FERRITE_GRAPHQL_PORT',
  grpcPort: 'FERRITE_GRPC_PORT',
  heartbeatIntervalMs: 'FERRITE_HEARTBEAT_INTERVAL_MS',
  heartbeatMissesBeforeOffline: 'FERRITE_HEARTBEAT_MISSES',
  statementTimeoutMs: 'FERRITE_STATEMENT_TIMEOUT_MS',
  logLevel: 'FERRITE_LOG_LEVEL',
  tapeMinFreePercent: 'FERRITE_TAPE_MIN_FREE_PERCENT',
  planTimeoutMs: 'FERRITE_PLAN_TIMEOUT_MS',
  authFailuresPerMinute: 'FERRITE_AUTH_FAILURES_PER_MINUTE',
};

export class ConfigError extends Error {}

export function loadServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = schema.safeParse({
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.FERRITE_DATA_DIR ?? '.ferrite/server'),
    embeddedPgPort: env.FERRITE_EMBEDDED_PG_PORT ?? 54329,
    // Closed by default: both endpoints answer only on this machine until the site says otherwise.
    host: env.FERRITE_HOST || '127.0.0.1',
    grpcHost: env.FERRITE_GRPC_HOST || env.FERRITE_HOST || '127.0.0.1',
    caDir: path.resolve(env.FERRITE_CA_DIR ?? path.join(env.FERRITE_DATA_DIR ?? '.ferrite/server', 'ca')),
    caCertFile: env.FERRITE_CA_CERT_FILE ? path.resolve(env.FERRITE_CA_CERT_FILE) : undefined,
    caKeyFile: env.FERRITE_CA_KEY_FILE ? path.resolve(env.FERRITE_CA_KEY_FILE) : undefined,
    grpcTlsNames: (env.FERRITE_GRPC_TLS_NAMES ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
    agentCertificateDays: env.FERRITE_AGENT_CERT_DAYS ?? 90,
    adminTokenFile: env.FERRITE_ADMIN_TOKEN_FILE ? path.resolve(env.FERRITE_ADMIN_TOKEN_FILE) : undefined,
    allowedOrigins: (env.FERRITE_ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    graphqlPort: env.FERRITE_GRAPHQL_PORT ?? env.PORT ?? 4000,
    grpcPort: env.FERRITE_GRPC_PORT ?? 50051,
    heartbeatIntervalMs: env.FERRITE_HEARTBEAT_INTERVAL_MS ?? 5000,
    heartbeatMissesBeforeOffline: env.FERRITE_HEARTBEAT_MISSES ?? 3,
    statementTimeoutMs: env.FERRITE_STATEMENT_TIMEOUT_MS ?? 15000,
    logLevel: env.FERRITE_LOG_LEVEL ?? 'info',
    tapeMinFreePercent: env.FERRITE_TAPE_MIN_FREE_PERCENT ?? 1,
    planTimeoutMs: env.FERRITE_PLAN_TIMEOUT_MS || undefined,
    authFailuresPerMinute: env.FERRITE_AUTH_FAILURES_PER_MINUTE ?? 20,
  });
  if (parsed.success && !parsed.data.caCertFile !== !parsed.data.caKeyFile) {
    throw new ConfigError('invalid server configuration: FERRITE_CA_CERT_FILE and FERRITE_CA_KEY_FILE go together (a site CA needs both)');
  }
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${ENV_NAMES[i.path[0] as keyof ServerConfig] ?? i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid server configuration: ${problems}`);
  }
  return parsed.data;
}

/** Nest injection token for the ServerConfig object. */
export const SERVER_CONFIG = Symbol('SERVER_CONFIG');
