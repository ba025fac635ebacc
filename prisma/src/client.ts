// The typed Prisma client on the pg driver adapter (Prisma 7 has no native query engine).
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.js';

export interface ClientOptions {
  /** Cap on any single statement, so no query can hang the server. */
  statementTimeoutMs?: number;
  max?: number;
}

export function createPrismaClient(connectionString: string, options: ClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg({
    connectionString,
    max: options.max ?? 10,
    options: options.statementTimeoutMs ? `-c statement_timeout=${options.statementTimeoutMs}` : undefined,
  });
  return new PrismaClient({ adapter });
}
