// The one way a service opens a transaction: it gets a `Tx` and passes it to each repository it
// calls, so work that spans tables owned by different repositories commits or fails as one.
// Database failures are translated on the way out (database-errors.ts).
import type { Prisma } from '@ferrite/db';
import { dbOperation } from './database-errors.js';
import type { PrismaService } from './prisma.service.js';

export type Tx = Prisma.TransactionClient;

export function inTransaction<T>(prisma: PrismaService, action: string, work: (tx: Tx) => Promise<T>): Promise<T> {
  return dbOperation(action, () => prisma.client.$transaction(work));
}
