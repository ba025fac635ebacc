// The configuration of an in-process test server: its own database, the test run's agents' CA
// (so replicas and fake agents trust one another), loopback only, ports the system picks.
import { loadServerConfig, type ServerConfig } from '../../src/config/config.js';
import { testCaDir } from './agent-credentials.js';

/** `env` adds or overrides settings (FERRITE_* names, as the environment would give them). */
export function testServerConfig(databaseUrl: string, env: Record<string, string> = {}): ServerConfig {
  return loadServerConfig({
    DATABASE_URL: databaseUrl,
    FERRITE_CA_DIR: testCaDir(),
    FERRITE_HOST: '127.0.0.1',
    FERRITE_GRAPHQL_PORT: '0',
    FERRITE_GRPC_PORT: '0',
    ...env,
  });
}
