// How many tapes a backup needs and how long it writes, pure: tapes per copy at the generation's
// usable capacity, the duration at its native rate, and the warning when the tapes in reach are too
// few (the job will wait for tapes). Used by planBackup before a backup and by the job's own log once
// the agent has scanned (tapes-in-reach.service.ts reads the catalog for both).
import { LTO_GENERATIONS } from '@ferrite/proto';
import { DEFAULT_MIN_FREE_PERCENT } from '../lifecycle/job-validation.js';

/**
 * The share of a cartridge past its early-warning point, which a backup does not fill: the agents'
 * default early-warning zone (2 % of the capacity, drives/emulated and drives/ltfs). An agent
 * configured with another `earlyWarningBytes` fills its tapes a little more or less than planned.
 */
export const EARLY_WARNING_SHARE = 0.02;

/** What a backup can write on one fresh tape: its capacity less the early-warning zone and the
 *  minimum free share below which a tape takes no new backup (FERRITE_TAPE_MIN_FREE_PERCENT). */
export function usableTapeBytes(capacityBytes: number, minFreePercent = DEFAULT_MIN_FREE_PERCENT): number {
  const share = 1 - EARLY_WARNING_SHARE - Math.max(0, minFreePercent) / 100;
  return Math.max(0, Math.floor(capacityBytes * share));
}

/** Fresh tapes one copy needs for `bytes`: at least 1 (a backup always takes a tape), 0 only when
 *  no capacity is known. */
export function tapesNeededPerCopy(bytes: number, usableBytes: number): number {
  if (usableBytes <= 0) return 0;
  return Math.max(1, Math.ceil(bytes / usableBytes));
}

/** Native (uncompressed) rate of an LTO generation in bytes per second; null outside the table. */
export function nativeRateBytesPerSecond(generation: number | null): number | null {
  const row = generation === null ? undefined : LTO_GENERATIONS.find((g) => g.generation === generation);
  return row ? row.nativeRateMBps * 1e6 : null;
}

/** Seconds to stream `bytes` at `rate` (copies write at once, in parallel drives: no multiplier). */
export function estimatedSeconds(bytes: number, rateBytesPerSecond: number | null): number | null {
  if (!rateBytesPerSecond || rateBytesPerSecond <= 0) return null;
  return Math.ceil(bytes / rateBytesPerSecond);
}

export interface TapeNeedInput {
  tapesPerCopy: number;
  copies: number;
  /** Writable tapes the job could take where it would run (SCRATCH, or ACTIVE of the pool), not held by another job. */
  available: number;
  pool: string | null;
  agent: string;
}

/** The warning when the tapes in reach cannot hold the backup: it will be accepted and wait. */
export function tapeShortageWarning(need: TapeNeedInput): string | null {
  const needed = need.tapesPerCopy * need.copies;
  if (needed <= need.available) return null;
  const where = need.pool ? `pool ${need.pool} on agent ${need.agent}` : `agent ${need.agent}`;
  const perCopy = need.copies > 1 ? ` (${need.tapesPerCopy} per copy, ${need.copies} copies)` : '';
  return `the job will wait for tapes: needs ${needed}${perCopy}, ${need.available} available in ${where}`;
}
