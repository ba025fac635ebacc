// What a backup of some size needs against what the agent's libraries hold now: the writable tapes
// it could take (the dispatcher's own reading, writableTapes, with the tape choice's pool rules),
// the capacity and generation to plan with, and the tapes needed per copy (backup-tape-need.ts).
// Read-only. planBackup asks before a backup; JobEventsService asks once a backup has scanned.
import { Inject, Injectable } from '@nestjs/common';
import { SERVER_CONFIG, type ServerConfig } from '../../../config/config.js';
import { PrismaService } from '../../../database/prisma.service.js';
import { inTransaction } from '../../../database/transaction.js';
import { nativeCapacityBytes } from '../../tapes/tape-generations.js';
import { DEFAULT_MIN_FREE_PERCENT, isEligibleForPool } from '../lifecycle/job-validation.js';
import type { WritableTape } from './backup-tape-choice.js';
import { tapeShortageWarning, tapesNeededPerCopy, usableTapeBytes } from './backup-tape-need.js';
import { DispatchRepository, type PoolPolicyRow } from './dispatch.repository.js';

/** No job: a plan leaves out no job's own tapes. */
export const NO_JOB = '00000000-0000-0000-0000-000000000000';

export interface TapeNeed {
  /** The pool's generation, else the newest the agent's drives write; null when neither is known. */
  generation: number | null;
  copies: number;
  /** Capacity of one tape planned with: the smallest writable tape in reach, else the generation's native capacity. */
  tapeCapacityBytes: number | null;
  usableBytesPerTape: number | null;
  tapesPerCopy: number;
  /** Writable tapes in reach that no other job holds (SCRATCH, or ACTIVE with room). */
  available: number;
  /** "the job will wait for tapes: needs N, M available in ..." or null. */
  shortage: string | null;
}

/** Room for a backup: a SCRATCH tape, or an ACTIVE one above the minimum free share (as the tape choice says). */
function hasRoom(t: WritableTape, minFreePercent: number): boolean {
  if (t.state === 'SCRATCH') return true;
  const free = t.capacityBytes - t.usedBytes;
  return free > 0 && free >= (t.capacityBytes * minFreePercent) / 100;
}

@Injectable()
export class TapesInReachService {
  constructor(
    private readonly dispatch: DispatchRepository,
    private readonly prisma: PrismaService,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /** `poolName` null: no pool. `jobId`: the backup itself (its own tapes count as in reach). */
  async need(agent: { id: string; name: string }, poolName: string | null, writeBytes: number, jobId = NO_JOB): Promise<TapeNeed> {
    const minFreePercent = this.config.tapeMinFreePercent ?? DEFAULT_MIN_FREE_PERCENT;
    const { tapes, drives, pool } = await inTransaction(this.prisma, 'reading the tapes a backup could take', async (tx) => ({
      tapes: await this.dispatch.writableTapes(tx, agent.id, jobId),
      drives: await this.dispatch.drivesOf(tx, agent.id),
      pool: poolName ? await this.dispatch.poolPolicy(tx, poolName) : null,
    }));
    return tapeNeedOf({ tapes, driveGenerations: drives.map((d) => d.generation ?? 0), pool, agentName: agent.name, writeBytes, minFreePercent });
  }
}

/** The decision behind need(), pure. */
export function tapeNeedOf(f: {
  tapes: WritableTape[];
  driveGenerations: number[];
  pool: PoolPolicyRow | null;
  agentName: string;
  writeBytes: number;
  minFreePercent: number;
}): TapeNeed {
  const usable = f.tapes.filter(
    (t) => t.heldBy === null && isEligibleForPool(t, f.pool?.id ?? null, f.pool?.scratchPoolId ?? null) && hasRoom(t, f.minFreePercent),
  );
  const writing = f.driveGenerations.filter((g) => g > 0);
  const generation = f.pool?.generation ?? (writing.length ? Math.max(...writing) : null);
  const capacities = usable.map((t) => t.capacityBytes).filter((c) => c > 0);
  const tapeCapacityBytes = capacities.length ? Math.min(...capacities) : generation !== null ? nativeCapacityBytes(generation) : null;
  const usableBytesPerTape = tapeCapacityBytes === null ? null : usableTapeBytes(tapeCapacityBytes, f.minFreePercent);
  const tapesPerCopy = usableBytesPerTape === null ? 0 : tapesNeededPerCopy(f.writeBytes, usableBytesPerTape);
  const copies = f.pool?.copies ?? 1;
  const shortage = tapeShortageWarning({ tapesPerCopy, copies, available: usable.length, pool: f.pool?.name ?? null, agent: f.agentName });
  return { generation, copies, tapeCapacityBytes, usableBytesPerTape, tapesPerCopy, available: usable.length, shortage };
}
