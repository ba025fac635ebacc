// Pools: creation and editing with policy validation (copies the drives can satisfy, a scratch pool
// that does not lead back to itself), and lookups by name.
import { Injectable } from '@nestjs/common';
import { offsetAfter, offsetConnection, pageSize, type ConnectionShape, type PageArgs } from '../../common/pagination.js';
import type { CreatePoolInput, UpdatePoolInput } from './dto/pool.input.js';
import type { PoolModel } from './models/pool.model.js';
import { checkCopiesSatisfiable, checkPoolPolicy, checkScratchPool } from './pool-policy.js';
import { PoolsRepository, type PoolData, type PoolRow } from './pools.repository.js';
import { toPoolModel } from './tape.mapper.js';
import { TapeErrors } from './tapes.errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

@Injectable()
export class PoolsService {
  constructor(private readonly pools: PoolsRepository) {}

  async getByName(name: string): Promise<PoolRow> {
    const pool = await this.pools.findByName(name);
    if (!pool) throw TapeErrors.poolNotFound(name);
    return pool;
  }

  async nameOf(id: string | null): Promise<string | null> {
    return id ? ((await this.pools.findById(id))?.name ?? null) : null;
  }

  async list(page: PageArgs): Promise<ConnectionShape<PoolModel>> {
    const size = pageSize(page.first);
    const offset = offsetAfter(page.after);
    const { rows, total } = await this.pools.list(offset, size + 1);
    return offsetConnection(rows, size, offset, total, toPoolModel);
  }

  async create(input: CreatePoolInput): Promise<PoolModel> {
    if (!NAME.test(input.name)) {
      throw TapeErrors.invalidPool(`pool name ${JSON.stringify(input.name)} is not valid: use up to 64 letters, digits, '.', '_' or '-'`, { name: input.name });
    }
    const data = await this.validate(null, input.name, {
      generation: input.generation ?? null,
      copies: input.copies ?? 1,
      retentionDays: input.retentionDays ?? null,
      retentionRuns: input.retentionRuns ?? null,
      scratchPool: input.scratchPool ?? null,
      dedup: input.dedup ?? false,
    });
    return toPoolModel(await this.pools.create(input.name, data));
  }

  async update(name: string, input: UpdatePoolInput): Promise<PoolModel> {
    const current = await this.getByName(name);
    // undefined: unchanged; null: cleared (for the settings that may be unset).
    const pick = <T>(value: T | null | undefined, old: T | null): T | null => (value === undefined ? old : value);
    const data = await this.validate(current.id, name, {
      generation: pick(input.generation, current.generation),
      copies: input.copies ?? current.copies,
      retentionDays: pick(input.retentionDays, current.retentionDays),
      retentionRuns: pick(input.retentionRuns, current.retentionRuns),
      scratchPool: input.scratchPool === undefined ? await this.nameOf(current.scratchPoolId) : input.scratchPool,
      dedup: input.dedup ?? current.dedup,
    });
    if (data.generation !== null && data.generation !== current.generation) {
      const others = await this.pools.countTapesOfOtherGeneration(current.id, data.generation);
      if (others > 0) {
        throw TapeErrors.invalidPool(
          `pool ${JSON.stringify(name)} holds ${others} tape(s) of another generation than LTO-${data.generation}; move them out first`,
          { pool: name, tapes: others },
        );
      }
    }
    const row = await this.pools.update(name, data);
    if (!row) throw TapeErrors.poolNotFound(name);
    return toPoolModel(row);
  }

  private async validate(
    id: string | null,
    name: string,
    p: { generation: number | null; copies: number; retentionDays: number | null; retentionRuns: number | null; scratchPool: string | null; dedup: boolean },
  ): Promise<PoolData> {
    checkPoolPolicy(p);
    let scratchPoolId: string | null = null;
    if (p.scratchPool !== null) {
      const scratch = await this.getByName(p.scratchPool);
      const chain = id ? await this.pools.scratchChain(scratch.id) : [];
      checkScratchPool({ id, name, generation: p.generation }, scratch, chain);
      scratchPoolId = scratch.id;
    }
    checkCopiesSatisfiable(name, p.generation, p.copies, await this.pools.driveCountsByAgent());
    return { generation: p.generation, copies: p.copies, retentionDays: p.retentionDays, retentionRuns: p.retentionRuns, scratchPoolId, dedup: p.dedup };
  }
}
