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
  /** OpenID Connect issuer whose tokens the server accepts besides API tokens; unset: OIDC off. */
  oidcIssuer: z.string().url().refine(isTrustedUrl, 'an issuer is https:// (http:// only on loopback: 127.0.0.1, ::1, localhost)').optional(),
  /** The `aud` an OIDC token must carry (the client id Ferrite has at the identity provider); required with an issuer. */
  oidcAudience: z.string().min(1).optional(),
  /** The claim (a string or an array of strings) holding the values mapped to roles. */
  oidcRoleClaim: z.string().min(1),
  /** Role claim values that make an OIDC user ADMIN, OPERATOR, VIEWER; the highest role wins. */
  oidcAdminValues: z.array(z.string()),
  oidcOperatorValues: z.array(z.string()),
  oidcViewerValues: z.array(z.string()),
  /** The claim naming the user (the operator is `oidc:<value>`); `sub` when the token lacks it. */
  oidcUsernameClaim: z.string().min(1),
  /** The least time between two fetches of the issuer's keys that a token with an unknown key id causes. */
  oidcJwksCooldownSeconds: z.coerce.number().min(0).max(3600),
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
  oidcIssuer: 'FERRITE_OIDC_ISSUER',
  oidcAudience: 'FERRITE_OIDC_AUDIENCE',
  oidcRoleClaim: 'FERRITE_OIDC_ROLE_CLAIM',
  oidcAdminValues: 'FERRITE_OIDC_ADMIN_VALUES',
  oidcOperatorValues: 'FERRITE_OIDC_OPERATOR_VALUES',
  oidcViewerValues: 'FERRITE_OIDC_VIEWER_VALUES',
  oidcUsernameClaim: 'FERRITE_OIDC_USERNAME_CLAIM',
  oidcJwksCooldownSeconds: 'FERRITE_OIDC_JWKS_COOLDOWN_SECONDS',
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
    oidcIssuer: env.FERRITE_OIDC_ISSUER || undefined,
    oidcAudience: env.FERRITE_OIDC_AUDIENCE || undefined,
    oidcRoleClaim: env.FERRITE_OIDC_ROLE_CLAIM || 'groups',
    oidcAdminValues: commaList(env.FERRITE_OIDC_ADMIN_VALUES),
    oidcOperatorValues: commaList(env.FERRITE_OIDC_OPERATOR_VALUES),
    oidcViewerValues: commaList(env.FERRITE_OIDC_VIEWER_VALUES),
    oidcUsernameClaim: env.FERRITE_OIDC_USERNAME_CLAIM || 'preferred_username',
    oidcJwksCooldownSeconds: env.FERRITE_OIDC_JWKS_COOLDOWN_SECONDS ?? 30,
  });
  if (parsed.success && !parsed.data.caCertFile !== !parsed.data.caKeyFile) {
    throw new ConfigError('invalid server configuration: FERRITE_CA_CERT_FILE and FERRITE_CA_KEY_FILE go together (a site CA needs both)');
  }
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${ENV_NAMES[i.path[0] as keyof ServerConfig] ?? i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid server configuration: ${problems}`);
  }
  return checkOidc(parsed.data);
}

/** The OIDC settings that only make sense together. */
function checkOidc(config: ServerConfig): ServerConfig {
  if (!config.oidcIssuer) return config;
  const problems: string[] = [];
  if (!config.oidcAudience) problems.push('FERRITE_OIDC_AUDIENCE: required when FERRITE_OIDC_ISSUER is set');
  if (config.oidcAdminValues.length + config.oidcOperatorValues.length + config.oidcViewerValues.length === 0)
    problems.push('FERRITE_OIDC_ADMIN_VALUES, FERRITE_OIDC_OPERATOR_VALUES, FERRITE_OIDC_VIEWER_VALUES: list the claim values of at least one role');
  if (problems.length) throw new ConfigError(`invalid server configuration: ${problems.join('; ')}`);
  return config;
}

/** The non-empty items of a comma-separated setting. */
function commaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Whether a URL the server fetches security material from (an OIDC issuer, its key set) is one it
 * may trust: https, or http to this machine only (a local identity provider, tests).
 */
export function isTrustedUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname));
  } catch {
    return false;
  }
}

/** Nest injection token for the ServerConfig object. */
export const SERVER_CONFIG = Symbol('SERVER_CONFIG');
