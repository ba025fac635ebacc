// Pools: creation with policy validation, and lookups by name.
import { Injectable } from '@nestjs/common';
import { offsetAfter, offsetConnection, pageSize, type ConnectionShape, type PageArgs } from '../../common/pagination.js';
import type { PoolModel } from './models/pool.model.js';
import { PoolsRepository, type PoolRow } from './pools.repository.js';
import { MAX_TAPE_GENERATION, MIN_TAPE_GENERATION } from './tape-generations.js';
import { toPoolModel } from './tape.mapper.js';
import { TapeErrors } from './tapes.errors.js';

export interface CreatePoolInput {
  name: string;
  generation?: number | null;
  copies?: number | null;
  retentionDays?: number | null;
}

@Injectable()
export class PoolsService {
  constructor(private readonly pools: PoolsRepository) {}

  async getByName(name: string): Promise<PoolRow> {
    const pool = await this.pools.findByName(name);
    if (!pool) throw TapeErrors.poolNotFound(name);
    return pool;
  }

  async list(page: PageArgs): Promise<ConnectionShape<PoolModel>> {
    const size = pageSize(page.first);
    const offset = offsetAfter(page.after);
    const { rows, total } = await this.pools.list(offset, size + 1);
    return offsetConnection(rows, size, offset, total, toPoolModel);
  }

  async create(input: CreatePoolInput): Promise<PoolModel> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(input.name)) {
      throw TapeErrors.invalidPool(`pool name ${JSON.stringify(input.name)} is not valid: use up to 64 letters, digits, '.', '_' or '-'`, { name: input.name });
    }
    const generation = input.generation ?? null;
    if (generation !== null && (generation < MIN_TAPE_GENERATION || generation > MAX_TAPE_GENERATION)) {
      throw TapeErrors.invalidGeneration(generation);
    }
    const copies = input.copies ?? 1;
    if (!Number.isInteger(copies) || copies < 1 || copies > 4) {
      throw TapeErrors.invalidPool(`copies must be between 1 and 4, got ${copies}`, { copies });
    }
    const retentionDays = input.retentionDays ?? null;
    if (retentionDays !== null && retentionDays < 0) {
      throw TapeErrors.invalidPool(`retentionDays must be 0 or more, got ${retentionDays}`, { retentionDays });
    }
    return toPoolModel(await this.pools.create({ name: input.name, generation, copies, retentionDays }));
  }
}
