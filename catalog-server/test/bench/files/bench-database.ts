// The PostgreSQL a benchmark runs on: FERRITE_TEST_DATABASE_URL when set, otherwise an embedded one
// started in a temporary directory (and set as FERRITE_TEST_DATABASE_URL for the test database
// helpers), which `stop` shuts down and removes.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '@ferrite/db';

export interface BenchDatabase {
  /** Whether the server is the benchmark's own (it may be tuned). */
  embedded: boolean;
  url: string;
  stop(): Promise<void>;
}

export async function benchDatabase(): Promise<BenchDatabase> {
  const given = process.env.FERRITE_TEST_DATABASE_URL;
  if (given) return { embedded: false, url: given, stop: async () => {} };
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-bench-pg-'));
  await chmod(tmp, 0o755); // PostgreSQL runs as its own user when we are root
  const db = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: 57000 + Math.floor(Math.random() * 1000), database: 'ferrite_bench_admin' });
  process.env.FERRITE_TEST_DATABASE_URL = db.url;
  return {
    embedded: true,
    url: db.url,
    async stop() {
      await db.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
