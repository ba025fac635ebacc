// Applies the migrations in prisma/migrations/ the way `prisma migrate deploy` does (same engine, same
// `_prisma_migrations` bookkeeping), so it is idempotent and safe when several servers start at once:
// the engine takes PostgreSQL's advisory lock around the whole run.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { MigrationList } from '@prisma/schema-engine-wasm';
import { migrationsDir, schemaPath } from './paths.js';
import { withSchemaEngine } from './schema-engine.js';

export async function loadMigrationList(dir = migrationsDir): Promise<MigrationList> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const lockPath = path.join(dir, 'migration_lock.toml');
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: await readFile(lockPath, 'utf8').catch(() => null) },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      entries.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: await readFile(path.join(dir, name, 'migration.sql'), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (err: Error) => ({ tag: 'error' as const, value: err.message }),
          ),
        },
      })),
    ),
  };
}

/** Brings the database at `connectionString` up to date; returns the names of the migrations applied now. */
export async function applyMigrations(connectionString: string, log: (line: string) => void = () => {}): Promise<string[]> {
  const [datamodel, migrationsList] = await Promise.all([readFile(schemaPath, 'utf8'), loadMigrationList()]);
  const result = await withSchemaEngine(
    connectionString,
    datamodel,
    (engine) => engine.applyMigrations({ migrationsList, filters: { externalTables: [], externalEnums: [] } }),
    log,
  );
  return result.appliedMigrationNames;
}

/** The SQL that creates schema.prisma on an empty database, as the engine derives it from the models
 *  (no migration involved): what the migrations must add up to. The connection is only the engine's
 *  own need; nothing is written to it. */
export async function schemaAsSql(connectionString: string): Promise<string> {
  const datamodel = await readFile(schemaPath, 'utf8');
  const result = await withSchemaEngine(connectionString, datamodel, (engine) =>
    engine.diff({
      from: { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: datamodel }] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    }),
  );
  return result.stdout ?? '';
}
