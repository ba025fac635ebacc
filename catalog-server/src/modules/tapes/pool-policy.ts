// Pure checks of a pool's policy, so each rule is unit-tested without a database: ranges, which
// drives can write a pool's tapes (for "copies": enough of them on one agent), and the scratch-pool chain.
import { MAX_TAPE_GENERATION, MIN_TAPE_GENERATION } from './tape-generations.js';
import { TapeErrors } from './tapes.errors.js';

export const MAX_POOL_COPIES = 3;

export interface PoolPolicy {
  generation: number | null;
  copies: number;
  retentionDays: number | null;
  retentionRuns: number | null;
}

/**
 * Whether an LTO drive of `driveGeneration` writes media of `mediaGeneration`. LTO drives write
 * their own generation and the one before (LTO-9 writes LTO-8), except LTO-10, which writes only
 * LTO-10.
 */
export function driveWrites(driveGeneration: number, mediaGeneration: number): boolean {
  if (driveGeneration === mediaGeneration) return true;
  return driveGeneration === mediaGeneration + 1 && driveGeneration <= 9;
}

/** Drives (across all agents) that can write the pool's tapes; every drive for a pool of any generation. */
export function writableDriveCount(generation: number | null, drives: { generation: number; count: number }[]): number {
  return drives.filter((d) => generation === null || driveWrites(d.generation, generation)).reduce((n, d) => n + d.count, 0);
}

export function checkPoolPolicy(p: PoolPolicy): void {
  if (p.generation !== null && (!Number.isInteger(p.generation) || p.generation < MIN_TAPE_GENERATION || p.generation > MAX_TAPE_GENERATION)) {
    throw TapeErrors.invalidGeneration(p.generation);
  }
  if (!Number.isInteger(p.copies) || p.copies < 1 || p.copies > MAX_POOL_COPIES) {
    throw TapeErrors.invalidPool(`copies must be between 1 and ${MAX_POOL_COPIES}, got ${p.copies}`, { copies: p.copies });
  }
  if (p.retentionDays !== null && (!Number.isInteger(p.retentionDays) || p.retentionDays < 0)) {
    throw TapeErrors.invalidPool(`retentionDays must be 0 or more, got ${p.retentionDays}`, { retentionDays: p.retentionDays });
  }
  if (p.retentionRuns !== null && (!Number.isInteger(p.retentionRuns) || p.retentionRuns < 1)) {
    throw TapeErrors.invalidPool(`retentionRuns must be 1 or more, got ${p.retentionRuns}`, { retentionRuns: p.retentionRuns });
  }
}

/**
 * Each copy goes to a different tape, written at the same time by one backup on one agent (copy
 * while writing: the agent tees every object to all copies), so a pool needs at least `copies`
 * drives that can write its generation on one agent. One copy is always allowed: a pool may be set
 * up before any agent has registered.
 */
export function checkCopiesSatisfiable(
  pool: string,
  generation: number | null,
  copies: number,
  drives: { agent: string; generation: number; count: number }[],
): void {
  if (copies <= 1) return;
  const perAgent = new Map<string, { generation: number; count: number }[]>();
  for (const d of drives) perAgent.set(d.agent, [...(perAgent.get(d.agent) ?? []), d]);
  let best = { agent: null as string | null, count: 0 };
  for (const [agent, ds] of perAgent) {
    const count = writableDriveCount(generation, ds);
    if (count > best.count || (count === best.count && best.agent !== null && agent < best.agent)) best = { agent, count };
  }
  if (best.count < copies) {
    const what = generation === null ? 'drives' : `drives that can write LTO-${generation} tapes`;
    const most = best.agent === null ? 'no agent has any' : `agent ${best.agent} has the most, ${best.count}`;
    throw TapeErrors.invalidPool(
      `pool ${JSON.stringify(pool)} asks for ${copies} copies, written at once by one agent, but ${most} ${what}; lower copies or add drives to one agent`,
      { pool, copies, generation, drives: best.count, agent: best.agent },
    );
  }
}

/**
 * The scratch pool may not be the pool itself, may not lead back to it through its own scratch pool
 * (tapes would circle), and must hold tapes of the same generation when both name one.
 */
export function checkScratchPool(
  pool: { id: string | null; name: string; generation: number | null },
  scratch: { id: string; name: string; generation: number | null },
  scratchChain: string[],
): void {
  if (pool.id !== null && (scratch.id === pool.id || scratchChain.includes(pool.id))) {
    throw TapeErrors.invalidPool(
      `pool ${JSON.stringify(pool.name)} cannot draw tapes from ${JSON.stringify(scratch.name)}: that pool draws from it, a circle`,
      { pool: pool.name, scratchPool: scratch.name },
    );
  }
  if (pool.generation !== null && scratch.generation !== null && pool.generation !== scratch.generation) {
    throw TapeErrors.invalidPool(
      `pool ${JSON.stringify(pool.name)} holds LTO-${pool.generation} tapes but scratch pool ${JSON.stringify(scratch.name)} holds LTO-${scratch.generation}`,
      { pool: pool.name, scratchPool: scratch.name },
    );
  }
}
