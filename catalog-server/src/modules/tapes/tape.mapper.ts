// Catalog rows -> GraphQL models for tapes and pools.
import type { PoolModel } from './models/pool.model.js';
import type { TapeModel } from './models/tape.model.js';
import { TapeStateValue } from './models/tape-state.enum.js';
import type { PoolRow } from './pools.repository.js';
import type { TapeRow } from './tapes.repository.js';

export function toPoolModel(row: PoolRow): PoolModel {
  return {
    id: row.id,
    name: row.name,
    generation: row.generation,
    copies: row.copies,
    retentionDays: row.retentionDays,
    retentionRuns: row.retentionRuns,
    dedup: row.dedup,
    scratchPoolId: row.scratchPoolId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toTapeModel(row: TapeRow): TapeModel {
  const capacity = Number(row.capacityBytes);
  const used = Number(row.usedBytes);
  return {
    id: row.id,
    barcode: row.barcode,
    generation: row.generation,
    capacityBytes: capacity,
    usedBytes: used,
    availableBytes: Math.max(0, capacity - used),
    state: TapeStateValue[row.state],
    pool: row.pool ? toPoolModel(row.pool) : null,
    location: {
      agent: row.agent?.name ?? null,
      changer: row.changer?.name ?? null,
      slot: row.slot,
      drive: row.loadedIn?.name ?? null,
      onShelf: row.agentId === null,
      offsite: row.state === 'OFFSITE',
      offsiteLocation: row.offsiteLocation,
    },
    volumeUuid: row.volumeUuid,
    formatted: row.formattedAt !== null,
    formattedAt: row.formattedAt,
    recycledAt: row.recycledAt,
    reformatPending: row.reformatPending,
    writeProtected: row.writeProtected,
    worm: row.worm,
    cleaning: row.cleaning,
    alerts: row.alerts ?? [],
    lastCheckedAt: row.lastCheckedAt,
    lastCheckResult: row.lastCheckResult,
    lastVerifiedAt: row.lastVerifiedAt,
    lastVerifyResult: row.lastVerifyResult,
    updatedAt: row.updatedAt,
  };
}
