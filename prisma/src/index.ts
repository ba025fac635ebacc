// @ferrite/db: the catalog's schema, typed client, migration runner and embedded PostgreSQL.
export * from './generated/client.js';
export { CONNECTION_TIMEOUT_MS, createPrismaClient, type ClientOptions } from './client.js';
export { applyMigrations, loadMigrationList, schemaAsSql } from './migrate.js';
export { sharedBuffersMb, startEmbeddedPostgres, type EmbeddedDatabase, type EmbeddedOptions } from './embedded.js';
export { stopOrphanedPostmaster } from './orphaned-postmaster.js';
export { migrationsDir, schemaPath } from './paths.js';
