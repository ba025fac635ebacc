// The only code that reads and writes pool rows (and counts the drives a pool's copies need).
import { Injectable } from '@nestjs/common';
import type { Pool } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation, isUniqueViolation } from '../../database/database-errors.js';
import { TapeErrors } from './tapes.errors.js';

export type PoolRow = Pool;

export interface PoolData {
  generation: number | null;
  copies: number;
  retentionDays: number | null;
  retentionRuns: number | null;
  scratchPoolId: string | null;
  dedup: boolean;
}

@Injectable()
export class PoolsRepository {
  constructor(private readonly prisma: PrismaService) {}

  findByName(name: string): Promise<PoolRow | null> {
    return dbOperation('find pool', () => this.prisma.client.pool.findUnique({ where: { name } }));
  }

  findById(id: string): Promise<PoolRow | null> {
    return dbOperation('find pool', () => this.prisma.client.pool.findUnique({ where: { id } }));
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

  create(name: string, data: PoolData): Promise<PoolRow> {
    return dbOperation('create pool', async () => {
      try {
        return await this.prisma.client.pool.create({ data: { name, ...data } });
      } catch (err) {
        if (isUniqueViolation(err)) throw TapeErrors.poolAlreadyExists(name);
        throw err;
      }
    });
  }

  /** Null when the pool is gone. */
  update(name: string, data: PoolData): Promise<PoolRow | null> {
    return dbOperation('update pool', async () => {
      const { count } = await this.prisma.client.pool.updateMany({ where: { name }, data });
      return count ? this.prisma.client.pool.findUnique({ where: { name } }) : null;
    });
  }

  /** Ids along the scratch chain starting at `poolId` (itself first), stopping at a repeat. */
  scratchChain(poolId: string): Promise<string[]> {
    return dbOperation('follow scratch pools', async () => {
      const rows = await this.prisma.client.$queryRaw<{ id: string }[]>`
        WITH RECURSIVE chain(id, scratch_pool_id, path) AS (
          SELECT id, scratch_pool_id, ARRAY[id] FROM pool WHERE id = ${poolId}::uuid
          UNION ALL
          SELECT p.id, p.scratch_pool_id, c.path || p.id FROM pool p JOIN chain c ON p.id = c.scratch_pool_id
          WHERE NOT p.id = ANY(c.path)
        )
        SELECT id::text AS id FROM chain`;
      return rows.map((r) => r.id);
    });
  }

  /** Drives per (agent, generation): copies are written by the drives of one agent. */
  driveCountsByAgent(): Promise<{ agent: string; generation: number; count: number }[]> {
    return dbOperation(
      'count drives',
      () =>
        this.prisma.client.$queryRaw<{ agent: string; generation: number; count: number }[]>`
        SELECT a.name AS agent, d.generation, count(*)::int AS count
        FROM drive d JOIN agent a ON a.id = d.agent_id GROUP BY a.name, d.generation`,
    );
  }

  /** Tapes in the pool whose generation is not `generation`. */
  countTapesOfOtherGeneration(poolId: string, generation: number): Promise<number> {
    return dbOperation('count pool tapes', () => this.prisma.client.tape.count({ where: { poolId, generation: { not: generation } } }));
  }
}
