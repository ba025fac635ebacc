// Which drive of an agent a queued job runs on (and, for a backup writing copies, the drives of its
// further copies), or why it has to wait. Pure: the dispatcher's repository reads the drives under a
// lock and applies the answer.
import { driveWrites } from '../../tapes/pool-policy.js';

export interface DriveForChoice {
  id: string;
  name: string;
  state: string;
  loadedBarcode: string | null;
  /** An ASSIGNED or RUNNING job holds it. */
  busy: boolean;
  /** LTO generation (absent in callers that do not care). */
  generation?: number;
}

export type DriveChoice = { drive: DriveForChoice } | { reason: string };

const UNUSABLE = new Set(['OFFLINE', 'NEEDS_CLEANING']);

/**
 * Prefers the drive that already holds the job's tape (no robot move); otherwise an empty drive,
 * so no other cartridge has to be unloaded; otherwise any free drive.
 */
export function chooseDrive(drives: DriveForChoice[], barcode: string | null, agentName: string): DriveChoice {
  if (drives.length === 0) return { reason: `agent ${agentName} has no drives` };
  if (barcode) {
    const holder = drives.find((d) => d.loadedBarcode === barcode);
    if (holder) {
      if (UNUSABLE.has(holder.state)) return { reason: `tape ${barcode} is in drive ${holder.name}, which is ${holder.state}` };
      if (holder.busy) return { reason: `tape ${barcode} is in drive ${holder.name}, which is busy` };
      return { drive: holder };
    }
  }
  const usable = drives.filter((d) => !UNUSABLE.has(d.state));
  if (usable.length === 0) return { reason: `${allDrives(drives.length, agentName)} offline or need${drives.length === 1 ? 's' : ''} cleaning` };
  const free = usable.filter((d) => !d.busy);
  if (free.length === 0) return { reason: `${allDrives(usable.length, agentName)} busy` };
  return { drive: free.find((d) => d.loadedBarcode === null) ?? free[0] };
}

// "all 2 drives of tape-01 are" / "the only drive of tape-01 is"
function allDrives(n: number, agentName: string): string {
  return n === 1 ? `the only drive of ${agentName} is` : `all ${n} drives of ${agentName} are`;
}

/**
 * The drives for a backup's further copies (copy 2..N), besides the job's own drive `first`: free,
 * usable, able to write the pool's generation, one per copy; the one already holding a copy's tape
 * is preferred, then an empty one. Or the reason the job waits ("needs 2 free LTO-9 drives on agent
 * host-a (one per copy), 1 free").
 */
export function chooseCopyDrives(
  drives: DriveForChoice[],
  first: DriveForChoice,
  copyBarcodes: string[],
  agentName: string,
  generation: number | null,
): { drives: DriveForChoice[] } | { reason: string } {
  if (copyBarcodes.length === 0) return { drives: [] };
  const writes = (d: DriveForChoice) => generation === null || d.generation === undefined || driveWrites(d.generation, generation);
  let free = drives.filter((d) => d.id !== first.id && !d.busy && !UNUSABLE.has(d.state) && writes(d));
  const chosen: DriveForChoice[] = [];
  for (const barcode of copyBarcodes) {
    // A copy's tape sitting in a drive that cannot take it now cannot be loaded elsewhere either.
    const holder = drives.find((d) => d.loadedBarcode === barcode && d.id !== first.id);
    if (holder && (holder.busy || UNUSABLE.has(holder.state))) {
      return { reason: `tape ${barcode} is in drive ${holder.name}, which is ${holder.busy ? 'busy' : holder.state}` };
    }
    // Never a drive holding another copy's tape: that copy would have to unload it again.
    const pick =
      free.find((d) => d.loadedBarcode === barcode) ??
      free.find((d) => d.loadedBarcode === null) ??
      free.find((d) => !copyBarcodes.includes(d.loadedBarcode ?? ''));
    if (!pick) {
      const needed = copyBarcodes.length + 1;
      const what = generation === null ? 'drives' : `LTO-${generation} drives`;
      const have = free.length + chosen.length + 1;
      return { reason: `needs ${needed} free ${what} on agent ${agentName} (one per copy), ${have} free` };
    }
    chosen.push(pick);
    free = free.filter((d) => d.id !== pick.id);
  }
  return { drives: chosen };
}
