// schema.prisma and prisma/migrations/ must describe the same database: the server applies the
// migrations, while the typed client (and anyone running `prisma migrate dev`) trusts the models. A
// hand-written migration (table rebuilds, carried-over data) that drifts from the models fails here.
// Compared: tables and columns (type, nullability, default), constraints, indexes and enums, between
// a database built by the migrations and one built from the models alone. Column order is not
// compared: migrations choose it for row width (see *_narrow_file_index).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { schemaAsSql } from '@ferrite/db';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

// Indexes that only migrations can create (Prisma has no syntax for them): name -> why.
const MIGRATION_ONLY_INDEXES: Record<string, string> = {
  directory_path_prefix: 'text_pattern_ops on (host_id, path): prefix search with LIKE',
};

async function describeDatabase(url: string): Promise<Record<string, string[]>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const list = async (sql: string) => (await c.query<{ x: string }>(sql)).rows.map((r) => r.x).sort();
    return {
      columns: await list(`
        SELECT table_name || '.' || column_name || ' ' || udt_name || '(' || COALESCE(character_maximum_length, datetime_precision, 0) || ')'
               || CASE WHEN is_nullable = 'YES' THEN ' NULL' ELSE ' NOT NULL' END || COALESCE(' DEFAULT ' || column_default, '') AS x
          FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
           -- Views (file_version over version_block) are not models: Prisma cannot describe them.
           AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE')`),
      constraints: await list(`
        SELECT t.relname || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) AS x
          FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'
           -- NOT NULL (PostgreSQL 18 names them): compared with the columns. Their names depend on
           -- history (a rebuilt table's get a suffix while the old one still holds theirs).
           AND c.contype <> 'n'`),
      indexes: await list(`SELECT indexdef AS x FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`),
      enums: await list(`
        SELECT t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS x
          FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`),
    };
  } finally {
    await c.end();
  }
}

describe('schema.prisma and the migrations', () => {
  let migrated: TestDatabase;
  let fromModels: TestDatabase;

  before(async () => {
    migrated = await createTestDatabase('schema-migrated');
    fromModels = await createTestDatabase('schema-models', { migrate: false });
    const c = new pg.Client({ connectionString: fromModels.url });
    await c.connect();
    try {
      // The trigram operator class comes from an extension the init migration creates.
      await c.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      await c.query(await schemaAsSql(fromModels.url));
    } finally {
      await c.end();
    }
  });
  after(async () => {
    await migrated?.drop();
    await fromModels?.drop();
  });

  it('describe the same tables, columns, constraints, indexes and enums', async () => {
    const a = await describeDatabase(migrated.url);
    const b = await describeDatabase(fromModels.url);
    const onlyMigrations = a.indexes.filter((def) => !Object.keys(MIGRATION_ONLY_INDEXES).some((name) => def.includes(` ${name} `)));
    assert.deepEqual(onlyMigrations, b.indexes);
    for (const name of Object.keys(MIGRATION_ONLY_INDEXES)) {
      assert.ok(
        a.indexes.some((def) => def.includes(` ${name} `)),
        `the migrations no longer create ${name}: drop it from MIGRATION_ONLY_INDEXES`,
      );
    }
    assert.deepEqual(a.columns, b.columns);
    assert.deepEqual(a.constraints, b.constraints);
    assert.deepEqual(a.enums, b.enums);
  });
});
