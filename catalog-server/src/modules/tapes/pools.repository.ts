// The only code that reads and writes pool rows.
import { Injectable } from '@nestjs/common';
import type { Pool } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation, isUniqueViolation } from '../../database/database-errors.js';
import { TapeErrors } from './tapes.errors.js';

export type PoolRow = Pool;

@Injectable()
export class PoolsRepository {
  constructor(private readonly prisma: PrismaService) {}

  findByName(name: string): Promise<PoolRow | null> {
    return dbOperation('find pool', () => this.prisma.client.pool.findUnique({ where: { name } }));
  }

  async list(skip: number, take: number): Promise<{ rows: PoolRow[]; total: number }> {
    return dbOperation('list pools', async () => {
      const [rows, total] = await this.prisma.client.$transaction([
        this.prisma.client.pool.findMany({ orderBy: { name: 'asc' }, skip, take }),
        this.prisma.client.pool.count(),
      ]);
      return { rows, total };
    });
  }

  create(input: { name: string; generation: number | null; copies: number; retentionDays: number | null }): Promise<PoolRow> {
    return dbOperation('create pool', async () => {
      try {
        return await this.prisma.client.pool.create({ data: input });
      } catch (err) {
        if (isUniqueViolation(err)) throw TapeErrors.poolAlreadyExists(input.name);
        throw err;
      }
    });
  }
}
