// The Prisma client for repositories, plus a plain pg pool for the bulk paths Prisma has no API for
// (COPY / UNNEST ingest). Only repositories may inject these.
import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { CONNECTION_TIMEOUT_MS, createPrismaClient, type PrismaClient } from '@ferrite/db';
import { LOGGER, type Logger } from '../common/logger.js';
import pg from 'pg';
import { SERVER_CONFIG, type ServerConfig } from '../config/config.js';

/** Resolved connection string (DATABASE_URL or the embedded server's), provided by main.ts. */
export const DATABASE_URL = Symbol('DATABASE_URL');

@Injectable()
export class PrismaService implements OnModuleDestroy {
  readonly client: PrismaClient;
  readonly pool: pg.Pool;

  constructor(@Inject(DATABASE_URL) url: string, @Inject(SERVER_CONFIG) config: ServerConfig, @Optional() @Inject(LOGGER) logger?: Logger) {
    const log = logger?.child({ component: 'database' });
    // A connection that dies while idle (PostgreSQL restarted, a network cut) is dropped by its pool
    // and replaced at the next query; without a listener pg's 'error' event would end the process.
    const onPoolError = (err: Error) => log?.warn({ err: err.message }, 'a database connection was lost; the pool opens a new one at the next query');
    this.client = createPrismaClient(url, { statementTimeoutMs: config.statementTimeoutMs, onPoolError });
    this.pool = new pg.Pool({
      connectionString: url,
      max: 8,
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
      options: `-c statement_timeout=${config.statementTimeoutMs}`,
    });
    this.pool.on('error', onPoolError);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([this.client.$disconnect(), this.pool.end()]);
  }
}
