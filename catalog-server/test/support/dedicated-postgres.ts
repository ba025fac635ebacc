// A PostgreSQL of a test's own, which it may stop and start again: the one scripts/run-tests.mjs
// starts is shared by the test files running beside it. Its data directory and port stay the
// same across restarts, as for a real server restarted under its clients.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '@ferrite/db';
import { freePort } from './ports.js';

export interface DedicatedPostgres {
  /** A URL for its administrative database (createTestDatabase makes databases beside it). */
  adminUrl: string;
  /** Stops it (fast shutdown: open connections are ended by the server). */
  stop(): Promise<void>;
  /** Starts it again on the same data directory and port. */
  start(): Promise<void>;
  /** Stops it if it runs and removes its data. */
  close(): Promise<void>;
}

export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ferrite-own-pg-'));
  await chmod(tmp, 0o755); // PostgreSQL runs as its own user when we are root
  const options = { dataDir: path.join(tmp, 'pg'), port: await freePort(), database: 'ferrite_test_admin' };
  let running: EmbeddedDatabase | null = await startEmbeddedPostgres(options);
  const adminUrl = running.url;
  return {
    adminUrl,
    async stop() {
      await running?.stop();
      running = null;
    },
    async start() {
      running ??= await startEmbeddedPostgres(options);
    },
    async close() {
      await running?.stop();
      running = null;
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
