// Each integration test file gets its own fresh, migrated database on the test PostgreSQL server
// that scripts/run-tests.mjs started (or the one FERRITE_TEST_DATABASE_URL names).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '@ferrite/db';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** The start of the names of the databases made for `label`. */
function namePrefix(label: string): string {
  return `t_${label
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_`;
}

/**
 * The URL of the one database this process made for `label` (an end-to-end Stack's, whose server
 * process has it): for the few tests that must change what no API changes, such as a token's
 * expiry time.
 */
export async function findTestDatabaseUrl(label: string): Promise<string> {
  const adminUrl = process.env.FERRITE_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('FERRITE_TEST_DATABASE_URL is not set: run the tests with `npm test`');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  let names: string[];
  try {
    const prefix = namePrefix(label).replace(/_/g, '\\_');
    names = (await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${prefix}%`])).rows.map((r) => r.datname);
  } finally {
    await admin.end();
  }
  if (names.length !== 1) throw new Error(`expected one database for ${JSON.stringify(label)}, found ${names.length}: give each stack its own label`);
  const url = new URL(adminUrl);
  url.pathname = `/${names[0]}`;
  return url.toString();
}

/** A fresh database with every migration applied (`migrate: false`: left empty). */
export async function createTestDatabase(label: string, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env.FERRITE_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('FERRITE_TEST_DATABASE_URL is not set: run the tests with `npm test`');
  const name = `${namePrefix(label)}${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (options.migrate !== false) await applyMigrations(url.toString());
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
