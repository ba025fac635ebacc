// Which tapes a queued backup that names none takes when it is dispatched, or why it waits. Pure:
// the dispatcher's repository reads the agent's writable tapes (and which job holds each) under the
// agent's row lock and applies the answer, so two backups never lease the same tape. Choosing at
// dispatch rather than at submission lets a backup wait for a tape that is formatted, inserted or
// recycled later instead of being refused.
import { chooseBackupTape, isEligibleForPool, type TapeCandidate } from '../lifecycle/job-validation.js';

export interface WritableTape extends TapeCandidate {
  /** The unfinished job whose spec names this tape, if any: the tape is leased to it. */
  heldBy: string | null;
}

export interface BackupTapeNeed {
  agentName: string;
  pool: { id: string; name: string; scratchPoolId: string | null } | null;
  /** How many different tapes the backup writes at once (the pool's copies; 1 without a pool). */
  copies: number;
  /** See DEFAULT_MIN_FREE_PERCENT. */
  minFreePercent?: number;
}

export type BackupTapeChoice = { barcodes: string[] } | { reason: string };

/** `copies` different free tapes, best first (fullest ACTIVE tape, then scratch), or the reason to wait. */
export function chooseBackupTapes(tapes: WritableTape[], need: BackupTapeNeed): BackupTapeChoice {
  const poolId = need.pool?.id ?? null;
  const scratchPoolId = need.pool?.scratchPoolId ?? null;
  const eligible = tapes.filter((t) => isEligibleForPool(t, poolId, scratchPoolId));
  let free = eligible.filter((t) => t.heldBy === null);
  const barcodes: string[] = [];
  while (barcodes.length < need.copies) {
    const next = chooseBackupTape(free, poolId, scratchPoolId, need.minFreePercent);
    if (!next) break;
    barcodes.push(next);
    free = free.filter((t) => t.barcode !== next);
  }
  if (barcodes.length === need.copies) return { barcodes };
  return { reason: noTapeReason(need, barcodes.length, eligible.length - eligible.filter((t) => t.heldBy === null).length) };
}

/**
 * "no scratch tape in pool X on agent Y", "needs 2 tapes in pool X on agent Y, 1 available";
 * tapes leased to other jobs are counted so the operator knows waiting may be enough.
 */
export function noTapeReason(need: BackupTapeNeed, available: number, taken: number): string {
  const where = need.pool ? `in pool ${need.pool.name} on agent ${need.agentName}` : `on agent ${need.agentName}`;
  const takenNote = taken > 0 ? ` (${taken} more ${taken === 1 ? 'is' : 'are'} in use by other jobs)` : '';
  if (need.copies > 1) return `needs ${need.copies} tapes ${where} (one per copy), ${available} available${takenNote}`;
  return `${need.pool ? 'no scratch tape' : 'no writable tape'} ${where}${takenNote}`;
}
