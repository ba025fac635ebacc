// The Prisma client for repositories, plus a plain pg pool for the bulk paths Prisma has no API for
// (COPY / UNNEST ingest). Only repositories may inject these.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createPrismaClient, type PrismaClient } from '@ferrite/db';
import pg from 'pg';
import { SERVER_CONFIG, type ServerConfig } from '../config/config.js';

/** Resolved connection string (DATABASE_URL or the embedded server's), provided by main.ts. */
export const DATABASE_URL = Symbol('DATABASE_URL');

@Injectable()
export class PrismaService implements OnModuleDestroy {
  readonly client: PrismaClient;
  readonly pool: pg.Pool;

  constructor(@Inject(DATABASE_URL) url: string, @Inject(SERVER_CONFIG) config: ServerConfig) {
    this.client = createPrismaClient(url, { statementTimeoutMs: config.statementTimeoutMs });
    this.pool = new pg.Pool({
      connectionString: url,
      max: 8,
      options: `-c statement_timeout=${config.statementTimeoutMs}`,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([this.client.$disconnect(), this.pool.end()]);
  }
}
