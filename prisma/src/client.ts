// The typed Prisma client on the pg driver adapter (Prisma 7 has no native query engine).
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.js';

export interface ClientOptions {
  /** Cap on any single statement, so no query can hang the server. */
  statementTimeoutMs?: number;
  max?: number;
  /** An idle connection's error (PostgreSQL restarted, the network dropped it): the pool has
   *  already discarded it; this only tells the log. Without a listener pg would crash the process. */
  onPoolError?: (err: Error) => void;
}

/** How long a query waits for a connection before it fails (pg's default is forever). */
export const CONNECTION_TIMEOUT_MS = 10_000;

export function createPrismaClient(connectionString: string, options: ClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg(
    {
      connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
      options: options.statementTimeoutMs ? `-c statement_timeout=${options.statementTimeoutMs}` : undefined,
    },
    { onPoolError: options.onPoolError, onConnectionError: options.onPoolError },
  );
  // Prisma's defaults (2 s to get a connection, 5 s for the whole transaction) abort correct work on
  // a busy server: a dispatch or registration transaction that waited for the pool or for a row lock
  // would fail and be retried from scratch. Statements are still capped by statement_timeout.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 30_000 } });
}
